from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods

from accounts import keys, selectors, services
from accounts.exceptions import REDIS_ERRORS
from accounts.models import RevocationEvent, User

if TYPE_CHECKING:
    # Declared by django-stubs only.
    from django.contrib.admin.filters import _ListFilterChoices


def _staff(request: HttpRequest) -> User:
    # The admin site only serves signed-in staff.
    return cast(User, request.user)


REDIS_DOWN = "Redis is unavailable. {done} Nothing else was revoked or recorded; try again shortly."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{pluralize(number)}"


def ended_message(events: list[RevocationEvent]) -> str:
    """What a revocation ended, counted from the audit rows the service returned."""
    sessions = _count(sum(event.sessions_ended for event in events), "session")
    tokens = _count(sum(event.refresh_tokens_blacklisted for event in events), "refresh token")
    if len(events) == 1:
        return f"Ended {sessions} and {tokens} of {events[0].user}."
    names = ", ".join(str(event.user) for event in events)
    return f"Ended {sessions} and {tokens} of {len(events)} users: {names}."


class AccountKindFilter(admin.SimpleListFilter):
    """People by default: the playground's throwaway accounts only when asked for."""

    title = "account kind"
    parameter_name = "kind"
    REAL, DEMO, ALL = "real", "demo", "all"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(self.REAL, "Real users"), (self.DEMO, "Demo accounts"), (self.ALL, "All")]

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        # No "All" of Django's own: the unfiltered list is the real users.
        current = self.value() or self.REAL
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        kind = self.value() or self.REAL
        if kind == self.ALL:
            return queryset
        return queryset.filter(is_demo=kind == self.DEMO)


class RevokedFilter(admin.SimpleListFilter):
    """Users whose access has been revoked at least once (they have a RevocationEvent)."""

    title = "access revoked"
    parameter_name = "revoked"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Revoked at least once"), ("no", "Never revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        # EXISTS rather than a join: a user revoked twice is still listed once.
        revoked = Exists(RevocationEvent.objects.filter(user=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(revoked)
        if self.value() == "no":
            return queryset.filter(~revoked)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = ["revoke_access"]
    list_filter = [AccountKindFilter, RevokedFilter, *DjangoUserAdmin.list_filter]
    # Django's split date-time inputs have no label of their own and its filter
    # widget puts aria-label on a bare span: both fail axe-core (tests/browser/
    # test_accessibility.py). The dates are records, not settings, and plain
    # multiple selects are labelled.
    readonly_fields = ["live_sessions", "outstanding_refresh_tokens", "last_login", "date_joined"]
    filter_horizontal = ()
    # What an admin about to revoke needs to see comes right after the name.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Live credentials", {"fields": ("live_sessions", "outstanding_refresh_tokens")}),
        *(DjangoUserAdmin.fieldsets or ())[1:],
    )

    def get_urls(self) -> list[URLPattern]:
        revoke = path(
            "<path:object_id>/revoke/",
            self.admin_site.admin_view(self.revoke_view),
            name="accounts_user_revoke",
        )
        return [revoke, *super().get_urls()]

    @admin.action(description="Revoke access (end sessions, blacklist refresh tokens)")
    def revoke_access(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        events: list[RevocationEvent] = []
        try:
            for user in queryset:
                events.append(services.user_revoke_access(user=user, actor=_staff(request)))
        except REDIS_ERRORS:
            done = f"Access was revoked for {_count(len(events), 'user')} before it failed."
            self.message_user(request, REDIS_DOWN.format(done=done), messages.ERROR)
            return
        self.message_user(request, ended_message(events), messages.SUCCESS)

    @method_decorator(require_http_methods(["GET", "POST"]))
    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "Revoke access" button: a confirmation, then the same service."""
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        change_url = reverse("admin:accounts_user_change", args=[user.pk])
        if request.method == "POST":
            try:
                event = services.user_revoke_access(user=user, actor=_staff(request))
            except REDIS_ERRORS:
                done = "Nothing was ended."
                self.message_user(request, REDIS_DOWN.format(done=done), messages.ERROR)
            else:
                self.message_user(request, ended_message([event]), messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": user,
            "title": f"Revoke access of {user}",
            "sessions": selectors.user_session_list(user=user),
            "tokens": selectors.user_refresh_token_list(user=user),
            "change_url": change_url,
        }
        return render(request, "admin/accounts/user/revoke_confirmation.html", context)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            try:
                event = services.user_revoke_access(
                    user=obj, actor=_staff(request), reason=RevocationEvent.Reason.DEACTIVATED
                )
            except REDIS_ERRORS:
                done = "The user is deactivated, so no new login is possible."
                self.message_user(request, REDIS_DOWN.format(done=done), messages.ERROR)
            else:
                self.message_user(request, ended_message([event]), messages.SUCCESS)

    @admin.display(description="Live sessions")
    def live_sessions(self, obj: User) -> SafeString:
        return render_to_string(
            "admin/accounts/user/live_sessions.html",
            {"sessions": selectors.user_session_list(user=obj) if obj.pk else []},
        )

    @admin.display(description="Refresh tokens that can still be used")
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


# ------------------------------------------------------------------ signing keys
# Plain views inside the admin's chrome (config/urls.py wraps them in admin_view:
# staff only, CSRF, never cached); there is no model to hang them on.
def _signing_keys_context(request: HttpRequest, title: str) -> dict:
    algorithm = keys.token_backend().algorithm
    symmetric = keys.is_symmetric(algorithm)
    state = keys.KeyState() if symmetric else keys.key_state_read()
    return {
        **admin.site.each_context(request),
        "title": title,
        "algorithm": algorithm,
        "symmetric": symmetric,
        "keys_directory": keys.keys_directory(),
        "records": state.keys,
        "retired": state.retired,
        "now": timezone.now(),
        "longest_token_life": keys.longest_token_life(),
    }


@require_GET
def signing_keys(request: HttpRequest) -> HttpResponse:
    """The JWT signing keys: which one signs, which still verify and until when."""
    return render(
        request,
        "admin/accounts/signing_keys.html",
        _signing_keys_context(request, "JWT signing keys"),
    )


@require_http_methods(["GET", "POST"])
def signing_key_rotate(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; POST rotates, through the same service as the command."""
    if request.method == "GET":
        return render(
            request,
            "admin/accounts/signing_key_rotate.html",
            _signing_keys_context(request, "Rotate the JWT signing key?"),
        )
    try:
        rotation = keys.signing_key_rotate()
    except ImproperlyConfigured as e:
        messages.error(request, str(e))
        return redirect("admin-signing-keys")
    note = f"Key {rotation.kid} signs new tokens from now."
    if rotation.previous_kid:
        until = timezone.localtime(rotation.previous_retire_after)
        note += f" {rotation.previous_kid} verifies until {until:%Y-%m-%d %H:%M:%S %Z}."
    if rotation.retired:
        note += f" Retired: {', '.join(rotation.retired)}."
    messages.success(request, note)
    return redirect("admin-signing-keys")
