"""
What the public pages and answers must not tell: who was revoked and why,
the playground's throwaway accounts, and which check a refused credential
failed.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import user_revoke_access
from tests.helpers import bearer

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


PUBLIC_TIMING = re.compile(r"auth;dur=\d+\.\d{3}")


def test_information_disclosure_a_refusals_outcome_stays_on_the_server(
    api_client: APIClient, token_pair, user
) -> None:
    user.is_active = False
    user.save()
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = "k" * 32

    refused_api = api_client.get(reverse("api:lookup-me"), **bearer(token_pair["access"]))
    refused_page = stale.get(reverse("accounts:session-login"))
    accepted = api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))

    assert PUBLIC_TIMING.fullmatch(refused_api["Server-Timing"])
    assert PUBLIC_TIMING.fullmatch(refused_page["Server-Timing"])
    receipt = refused_page.content.split(b'class="receipt"', 1)[1]
    assert b"not_found" not in receipt
    assert b"to decide who is asking" in receipt
    # What the requester's own, accepted credential cost is theirs to see.
    size = len(f"Bearer {token_pair['access']}")
    assert accepted["Server-Timing"].endswith(
        f'desc="stateless accepted redis=0 db=0 bytes={size}"'
    )
