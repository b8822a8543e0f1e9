from django.urls import path

from accounts import api
from accounts.authentication import LANES

app_name = "api-jwt"

urlpatterns = [
    path("token/", api.TokenObtainPairView.as_view(), name="token-obtain"),
    path("token/refresh/", api.TokenRefreshView.as_view(), name="token-refresh"),
    path("token/verify/", api.TokenVerifyView.as_view(), name="token-verify"),
    path("token/blacklist/", api.TokenBlacklistView.as_view(), name="token-blacklist"),
    *(
        path(
            f"{lane}/me/",
            api.JWTMeView.as_view(lane=lane, authentication_classes=[authentication]),
            name=f"{lane}-me",
        )
        for lane, authentication in LANES.items()
    ),
]
