from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin, serving ``accounts.admin_site.SiteAdmin`` as ``admin.site``."""

    default_site = "accounts.admin_site.SiteAdmin"
