from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from accounts import admin as accounts_admin
from accounts.jwks import jwks
from config.views import favicon

urlpatterns = [
    path("", TemplateView.as_view(template_name="index.html"), name="index"),
    path("favicon.ico", favicon),
    path("", include("accounts.urls")),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("accounts.api_urls")),
    path("", include("comparison.urls")),
    path(
        "admin/signing-keys/",
        admin.site.admin_view(accounts_admin.signing_keys),
        name="admin-signing-keys",
    ),
    path(
        "admin/signing-keys/rotate/",
        admin.site.admin_view(accounts_admin.signing_key_rotate),
        name="admin-signing-key-rotate",
    ),
    path("admin/", admin.site.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
