from django.urls import path
from rest_framework_simplejwt import views as jwt_views

from accounts.api import JWTMeView
from accounts.authentication import LANES

app_name = "api-jwt"

urlpatterns = [
    path("token/", jwt_views.TokenObtainPairView.as_view(), name="token-obtain"),
    path("token/refresh/", jwt_views.TokenRefreshView.as_view(), name="token-refresh"),
    path("token/verify/", jwt_views.TokenVerifyView.as_view(), name="token-verify"),
    path("token/blacklist/", jwt_views.TokenBlacklistView.as_view(), name="token-blacklist"),
    *(
        path(
            f"{lane}/me/",
            JWTMeView.as_view(lane=lane, authentication_classes=[authentication]),
            name=f"{lane}-me",
        )
        for lane, authentication in LANES.items()
    ),
]
