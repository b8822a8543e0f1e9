"""The User admin, where admins revoke: a button, a confirmation, counts, filters."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import RevocationEvent, User
from accounts.services import user_revoke_access
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def revoke_url(user: User) -> str:
    return reverse("admin:accounts_user_revoke", args=[user.pk])


def test_the_change_page_has_a_revoke_button_leading_to_a_confirmation(admin_client, user) -> None:
    change = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    confirmation = admin_client.get(revoke_url(user))

    assert f'href="{revoke_url(user)}"' in change.content.decode()
    assert confirmation.status_code == HTTPStatus.OK
    assert b"Yes, revoke access" in confirmation.content
    assert not RevocationEvent.objects.exists()


def test_confirming_revokes_through_the_service_and_counts_what_ended(
    admin_client, admin_user, session_client, token_pair, user
) -> None:
    second_browser = Client()
    login = {"username": "alice", "password": PASSWORD}
    second_browser.post(reverse("accounts:session-login"), login)

    response = admin_client.post(revoke_url(user), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:accounts_user_change", args=[user.pk])
    assert "Ended 2 sessions and 1 refresh token of alice." in response.content.decode()
    event = RevocationEvent.objects.get()
    assert (event.user, event.actor, event.reason) == (user, admin_user, "admin_revoke")
    assert session_client.get(reverse("accounts:session-home")).status_code == HTTPStatus.FOUND


def test_the_revoke_post_needs_the_csrf_token(admin_user, user) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)

    response = browser.post(revoke_url(user))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not RevocationEvent.objects.exists()


def test_staff_without_the_change_permission_cannot_revoke(client, user) -> None:
    viewer = make_user("viewer", is_staff=True)
    client.force_login(viewer)

    response = client.post(revoke_url(user))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not RevocationEvent.objects.exists()


def test_revoking_an_unknown_user_is_not_found(admin_client) -> None:
    response = admin_client.post(reverse("admin:accounts_user_revoke", args=[999_999]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not RevocationEvent.objects.exists()


def test_the_action_on_several_users_counts_what_it_ended_in_one_message(
    admin_client, session_client, token_pair, user
) -> None:
    bob = make_user("bob")

    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "revoke_access", "_selected_action": [user.pk, bob.pk]},
        follow=True,
    )

    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["Ended 1 session and 1 refresh token of 2 users: alice, bob."]


def test_live_credentials_come_right_after_the_name(admin_client, user) -> None:
    content = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content

    assert content.index(b"Live credentials") < content.index(b"Personal info")


def changelist_names(client: Client, query: str) -> list[str]:
    response = client.get(reverse("admin:accounts_user_changelist") + query)
    return sorted(user.username for user in response.context["cl"].result_list)


def test_demo_accounts_can_be_listed_apart_from_real_users(admin_client, user) -> None:
    make_user("demo-0123456789ab", is_demo=True)

    assert changelist_names(admin_client, "?kind=demo") == ["demo-0123456789ab"]
    assert changelist_names(admin_client, "?kind=real") == ["admin", "alice"]


def test_revoked_users_can_be_listed_once_each(admin_client, admin_user, user) -> None:
    make_user("bob")
    user_revoke_access(user=user, actor=admin_user)
    user_revoke_access(user=user, actor=admin_user)

    assert changelist_names(admin_client, "?revoked=yes") == ["alice"]
    assert changelist_names(admin_client, "?revoked=no") == ["admin", "bob"]
