"""
The admin site (``admin.site``, through ``config.apps.AdminConfig``). Its own
module: ``accounts.admin`` imports Django's auth admin, which registers on
``admin.site`` and so would need this class before it exists.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class SiteAdmin(admin.AdminSite):
    """
    Django's admin site, closed to the playground's throwaway accounts: the
    "Role change" scenario makes a visitor's demo user staff for a moment,
    and a role that anyone can give themselves must not open the admin.
    """

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not getattr(request.user, "is_demo", False)
