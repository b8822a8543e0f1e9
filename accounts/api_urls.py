"""
The JSON API under /api/: token endpoints, and per lane a "who am I"
endpoint and its staff-only sibling.
"""

from django.urls import path
from django.utils.module_loading import import_string

from accounts import api, lanes

app_name = "api"


def _api_path(url: str) -> str:
    return url.removeprefix("/api/")


urlpatterns = [
    path("ping/", api.PingView.as_view(), name="ping"),
    path(_api_path(lanes.SESSION.path), api.SessionMeView.as_view(), name="session-me"),
    path(_api_path(lanes.SESSION.role_path), api.SessionStaffView.as_view(), name="session-staff"),
    path("jwt/token/", api.TokenObtainPairView.as_view(), name="token-obtain"),
    path("jwt/token/refresh/", api.TokenRefreshView.as_view(), name="token-refresh"),
    path("jwt/token/verify/", api.TokenVerifyView.as_view(), name="token-verify"),
    path("jwt/token/blacklist/", api.TokenBlacklistView.as_view(), name="token-blacklist"),
    *(
        path(
            _api_path(lane_path),
            view.as_view(lane=lane, authentication_classes=[import_string(lane.authentication)]),
            name=f"{lane.name}-{suffix}",
        )
        for lane in lanes.mounted_lanes()
        for lane_path, view, suffix in (
            (lane.path, api.LaneMeView, "me"),
            (lane.role_path, api.LaneStaffView, "staff"),
        )
    ),
]
