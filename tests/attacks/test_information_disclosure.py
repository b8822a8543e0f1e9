"""
What the public pages and answers must not tell: who was revoked and why,
and the playground's throwaway accounts.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import user_revoke_access

pytestmark = pytest.mark.django_db


def test_information_disclosure_revocations_and_names_are_for_staff_only(
    client: Client, admin_client: Client, admin_user, user
) -> None:
    user_revoke_access(user=user, actor=admin_user)

    page = client.get(reverse("comparison:dashboard"))
    data = client.get(reverse("comparison:figures")).json()
    staff_page = admin_client.get(reverse("comparison:dashboard"))
    staff_data = admin_client.get(reverse("comparison:figures")).json()

    assert b"alice" not in page.content
    assert b"Revoked by an admin" not in page.content
    assert b"only staff see them" in page.content
    assert data["revocations"] is None
    assert "alice" not in str(data)
    assert b"Revoked by an admin: alice" in staff_page.content
    assert [(r["username"], r["actor"]) for r in staff_data["revocations"]] == [("alice", "admin")]


def test_information_disclosure_demo_accounts_never_appear_in_recent_revocations(
    admin_client: Client, user
) -> None:
    visitor = Client()
    visitor.post(reverse("comparison:playground-session-login"))
    for _ in range(6):
        visitor.post(reverse("comparison:playground-revoke"))
    user_revoke_access(user=user, actor=None)

    data = admin_client.get(reverse("comparison:figures")).json()
    page = admin_client.get(reverse("comparison:dashboard"))

    assert [revocation["username"] for revocation in data["revocations"]] == ["alice"]
    assert b"demo-" not in page.content
