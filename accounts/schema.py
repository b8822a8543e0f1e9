"""OpenAPI description of the lanes: a bearer scheme per JWT class, a cookie for the snapshot."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerJWTScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework_simplejwt.authentication.JWTAuthentication"
    match_subclasses = True
    priority = 1

    @property
    def name(self) -> str:  # type: ignore[override]
        # One component per class: the lanes differ in what they check after the signature.
        return f"bearer{type(self.target).__name__}"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class SessionSnapshotScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SessionSnapshotAuthentication"
    name = "sessionSnapshot"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
