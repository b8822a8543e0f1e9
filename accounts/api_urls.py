"""The JSON API under /api/: token endpoints, and one "who am I" endpoint per lane."""

from django.urls import path
from django.utils.module_loading import import_string

from accounts import api, lanes

app_name = "api"


def _lane_path(lane: lanes.Lane) -> str:
    return lane.path.removeprefix("/api/")


urlpatterns = [
    path("ping/", api.PingView.as_view(), name="ping"),
    path(_lane_path(lanes.SESSION), api.SessionMeView.as_view(), name="session-me"),
    path("jwt/token/", api.TokenObtainPairView.as_view(), name="token-obtain"),
    path("jwt/token/refresh/", api.TokenRefreshView.as_view(), name="token-refresh"),
    path("jwt/token/verify/", api.TokenVerifyView.as_view(), name="token-verify"),
    path("jwt/token/blacklist/", api.TokenBlacklistView.as_view(), name="token-blacklist"),
    *(
        path(
            _lane_path(lane),
            api.LaneMeView.as_view(
                lane=lane, authentication_classes=[import_string(lane.authentication)]
            ),
            name=f"{lane.name}-me",
        )
        for lane in lanes.mounted_lanes()
    ),
]
