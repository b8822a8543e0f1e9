from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import selectors
from accounts.models import RevocationEvent, User
from accounts.services import user_revoke_access
from tests.helpers import PASSWORD, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def revoked(session_client: Client, token_pair, user: User, admin_user: User) -> RevocationEvent:
    """alice is logged in on both areas, then an admin revokes her."""
    return user_revoke_access(user=user, actor=admin_user)


def test_revocation_ends_the_session_on_the_next_request(revoked, session_client) -> None:
    response = session_client.get(reverse("accounts:session-home"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:session-login"))


def test_revocation_is_recorded_with_what_it_ended(revoked, admin_user, user) -> None:
    event = RevocationEvent.objects.get()

    assert (event.user, event.actor, event.reason) == (user, admin_user, "admin_revoke")
    assert event.sessions_ended == 1
    assert event.refresh_tokens_blacklisted == 1
    assert event.access_tokens_denylisted


def test_denylist_lane_rejects_at_once(revoked, api_client: APIClient, token_pair) -> None:
    response = api_client.get(reverse("api:denylist-me"), **bearer(token_pair["access"]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "token_revoked"


def test_lookup_lane_still_accepts_an_active_user(revoked, api_client, token_pair) -> None:
    response = api_client.get(reverse("api:lookup-me"), **bearer(token_pair["access"]))

    assert response.status_code == HTTPStatus.OK


def test_lookup_lane_rejects_once_deactivated(revoked, api_client, token_pair, user) -> None:
    user.is_active = False
    user.save()

    response = api_client.get(reverse("api:lookup-me"), **bearer(token_pair["access"]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "user_inactive"


def test_stateless_lane_accepts_until_the_access_token_expires(
    revoked, api_client, token_pair
) -> None:
    url = reverse("api:stateless-me")
    expiry = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + settings.SIMPLE_JWT["LEEWAY"]

    now = api_client.get(url, **bearer(token_pair["access"]))
    with time_machine.travel(timezone.now() + expiry + timedelta(seconds=1)):
        later = api_client.get(url, **bearer(token_pair["access"]))

    assert now.status_code == HTTPStatus.OK
    assert later.status_code == HTTPStatus.UNAUTHORIZED


def test_refresh_is_refused_after_revocation(revoked, api_client, token_pair) -> None:
    response = api_client.post(reverse("api:token-refresh"), {"refresh": token_pair["refresh"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_new_login_after_revocation_works_again(revoked, api_client: APIClient) -> None:
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        pair = api_client.post(
            reverse("api:token-obtain"), {"username": "alice", "password": PASSWORD}
        ).json()
        response = api_client.get(reverse("api:denylist-me"), **bearer(pair["access"]))

    assert response.status_code == HTTPStatus.OK


def test_admin_action_revokes_through_the_service(
    admin_client, session_client, token_pair, user
) -> None:
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "revoke_access", "_selected_action": [user.pk]},
        follow=True,
    )

    assert b"Ended 1 session and 1 refresh token of alice." in response.content
    assert RevocationEvent.objects.get(user=user).reason == "admin_revoke"
    assert session_client.get(reverse("accounts:session-home")).status_code == HTTPStatus.FOUND


def test_deactivating_in_admin_revokes(admin_client, session_client, user, token_pair) -> None:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        is_active="",
        last_login_0="",
        last_login_1="",
        date_joined_0=user.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=user.date_joined.strftime("%H:%M:%S"),
    )
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("password", None)

    response = admin_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    event = RevocationEvent.objects.get(user=user)
    assert (event.reason, event.sessions_ended, event.refresh_tokens_blacklisted) == (
        "deactivated",
        1,
        1,
    )


def test_password_change_ends_sessions_and_refresh_tokens(
    django_capture_on_commit_callbacks, session_client, token_pair, user, api_client
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user.set_password("a brand new password")
        user.save()

    assert RevocationEvent.objects.get(user=user).reason == "password_changed"
    assert session_client.get(reverse("accounts:session-home")).status_code == HTTPStatus.FOUND
    refresh = api_client.post(reverse("api:token-refresh"), {"refresh": token_pair["refresh"]})
    assert refresh.status_code == HTTPStatus.UNAUTHORIZED


def test_password_change_keeps_the_changers_own_session(
    django_capture_on_commit_callbacks, admin_client, admin_user
) -> None:
    # Django's UserAdmin names this URL auth_user_… whatever the user model.
    url = reverse("admin:auth_user_password_change", args=[admin_user.pk])
    new = "another brand new password"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"password1": new, "password2": new})

    assert response.status_code == HTTPStatus.FOUND
    assert admin_client.get(reverse("admin:index")).status_code == HTTPStatus.OK
    assert len(selectors.user_session_list(user=admin_user)) == 1


def test_user_admin_page_shows_live_sessions_and_refresh_tokens(
    admin_client, session_client, token_pair, user
) -> None:
    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    content = response.content.decode()
    assert "Live sessions" in content
    assert "127.0.0.1" in content
    assert selectors.user_refresh_token_list(user=user).get().jti in content


def test_revocation_events_are_read_only_in_admin(admin_client, revoked) -> None:
    change = admin_client.get(reverse("admin:accounts_revocationevent_change", args=[revoked.pk]))
    add = admin_client.get(reverse("admin:accounts_revocationevent_add"))

    assert change.status_code == HTTPStatus.OK
    assert b'type="submit"' not in change.content.split(b'id="content-main"')[1]
    assert add.status_code == HTTPStatus.FORBIDDEN
