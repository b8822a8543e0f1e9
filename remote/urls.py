"""
The same paths as the site's lanes, at this service's address; the denylist
lane only when this service was given the revocation store.
"""

from django.conf import settings
from django.urls import path

from remote import views
from remote.authentication import DenylistJWTAuthentication, StatelessJWTAuthentication

LANES = [("stateless", "remote_stateless", StatelessJWTAuthentication)]
if settings.REMOTE_REVOCATION_REDIS_URL:
    LANES.append(("denylist", "remote_denylist", DenylistJWTAuthentication))

urlpatterns = [
    path(
        f"api/jwt/{segment}/{suffix}/",
        view.as_view(lane=lane, authentication_classes=[authentication]),
        name=f"{lane}-{suffix}",
    )
    for segment, lane, authentication in LANES
    for suffix, view in (("me", views.MeView), ("staff", views.StaffView))
]
