from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    # Session area
    path("session/", views.session_home, name="session-home"),
    path("session/login/", views.SessionLoginView.as_view(), name="session-login"),
    path("session/logout/", views.SessionLogoutView.as_view(), name="session-logout"),
    path("session/profile/", views.session_profile, name="session-profile"),
    path("session/sessions/", views.session_list, name="session-list"),
    path("session/staff/", views.session_staff, name="session-staff"),
    # JWT area (pages; the JSON API lives under /api/jwt/)
    path("jwt/", views.jwt_home, name="jwt-home"),
    path("jwt/login/", views.jwt_login, name="jwt-login"),
    path("jwt/profile/", views.jwt_profile, name="jwt-profile"),
    path("jwt/staff/", views.jwt_staff, name="jwt-staff"),
    # Under JWT_COOKIE_REFRESH_PATH: the only URLs the refresh cookie is sent to.
    # "My sign-ins" is one, so that it can tell this browser's sign-in apart.
    path("jwt/auth/sessions/", views.jwt_list, name="jwt-list"),
    path("jwt/auth/refresh/", views.jwt_refresh, name="jwt-refresh"),
    path("jwt/auth/logout/", views.jwt_logout, name="jwt-logout"),
    path("jwt/auth/end-others/", views.jwt_end_other_tokens, name="jwt-end-others"),
]
