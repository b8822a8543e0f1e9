from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts import selectors, services
from accounts.exceptions import REDIS_ERRORS
from accounts.models import RevocationEvent, User


def _staff(request: HttpRequest) -> User:
    # The admin site only serves signed-in staff.
    return cast(User, request.user)


REDIS_DOWN = "Redis is unavailable. {done} Nothing else was revoked or recorded; try again shortly."


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = ["revoke_access"]
    readonly_fields = ["live_sessions", "outstanding_refresh_tokens"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Live credentials", {"fields": ("live_sessions", "outstanding_refresh_tokens")}),
    )

    @admin.action(description="Revoke access (end sessions, blacklist refresh tokens)")
    def revoke_access(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        revoked = 0
        try:
            for user in queryset:
                services.user_revoke_access(user=user, actor=_staff(request))
                revoked += 1
        except REDIS_ERRORS:
            done = f"Access was revoked for {revoked} user(s) before it failed."
            self.message_user(request, REDIS_DOWN.format(done=done), messages.ERROR)
            return
        self.message_user(request, f"Revoked access for {revoked} user(s).")

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            try:
                services.user_revoke_access(
                    user=obj, actor=_staff(request), reason=RevocationEvent.Reason.DEACTIVATED
                )
            except REDIS_ERRORS:
                done = "The user is deactivated, so no new login is possible."
                self.message_user(request, REDIS_DOWN.format(done=done), messages.ERROR)

    @admin.display(description="Live sessions")
    def live_sessions(self, obj: User) -> SafeString:
        return render_to_string(
            "admin/accounts/user/live_sessions.html",
            {"sessions": selectors.user_session_list(user=obj) if obj.pk else []},
        )

    @admin.display(description="Outstanding refresh tokens")
    def outstanding_refresh_tokens(self, obj: User) -> SafeString:
        return render_to_string(
            "admin/accounts/user/refresh_tokens.html",
            {"tokens": selectors.user_refresh_token_list(user=obj) if obj.pk else []},
        )


@admin.register(RevocationEvent)
class RevocationEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "user",
        "actor",
        "reason",
        "sessions_ended",
        "refresh_tokens_blacklisted",
        "access_tokens_denylisted",
    ]
    list_filter = ["reason"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__username", "actor__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
