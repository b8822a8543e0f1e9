"""
How often the second service fetches the site's public keys: once, then from
memory; again for a kid it has not seen, but at most once per cooldown, so a
flood of made-up kids costs no flood of fetches. Counted at a real JWKS
endpoint (a small HTTP server serving the suite's public keys), by path.
"""

from __future__ import annotations

import secrets
import time
from http import HTTPStatus

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from accounts import keys
from accounts.lanes import REMOTE_STATELESS
from tests.helpers import b64url, bearer_header, http_get

pytestmark = pytest.mark.django_db

STRANGER = ed25519.Ed25519PrivateKey.generate()


def site_token(user_id: int = 1) -> str:
    now = int(time.time())
    return keys.token_sign(
        {
            "token_type": "access",
            "exp": now + 300,
            "iat": now,
            "jti": secrets.token_hex(16),
            "user_id": user_id,
            "username": "alice",
            "is_staff": False,
            "aud": "sessions-vs-jwt",
            "iss": "sessions-vs-jwt",
        }
    )


def made_up_kid_token() -> str:
    """Well formed, under the site's algorithm, naming a key nobody has."""
    header = {"alg": "EdDSA", "typ": "JWT", "kid": f"made-up-{secrets.token_hex(8)}"}
    signing_input = f"{b64url(header)}.{b64url({'user_id': 1, 'token_type': 'access'})}"
    return f"{signing_input}.{b64url(STRANGER.sign(signing_input.encode()))}"


def ask(remote: str, token: str) -> tuple[int, str]:
    answer = http_get(f"{remote}{REMOTE_STATELESS.path}", headers=bearer_header(token))
    return answer.status, answer.json().get("code", "")


def test_the_key_set_is_fetched_once_and_then_served_from_memory(jwks_server, remote_on_jwks):
    with remote_on_jwks() as remote:
        answers = [ask(remote, site_token()) for _ in range(20)]

    assert answers == [(HTTPStatus.OK, "")] * 20
    assert jwks_server.fetches() == 1


def test_a_flood_of_made_up_kids_costs_no_flood_of_fetches(jwks_server, remote_on_jwks):
    with remote_on_jwks(REMOTE_JWKS_REFETCH_SECONDS="3600") as remote:
        assert ask(remote, site_token()) == (HTTPStatus.OK, "")
        flood = [ask(remote, made_up_kid_token()) for _ in range(100)]

    assert flood == [(HTTPStatus.UNAUTHORIZED, "token_unknown_key")] * 100
    assert jwks_server.fetches() == 1


def test_a_rotated_key_is_fetched_once_the_cooldown_allows(jwks_server, remote_on_jwks, keys_dir):
    old = site_token()
    with remote_on_jwks(REMOTE_JWKS_REFETCH_SECONDS="2") as remote:
        assert ask(remote, old) == (HTTPStatus.OK, "")
        keys.signing_key_rotate()
        new = site_token()
        # Within the cooldown of the first fetch: the new kid is not looked for yet.
        assert ask(remote, new) == (HTTPStatus.UNAUTHORIZED, "token_unknown_key")
        time.sleep(2.1)
        after_cooldown = [ask(remote, new), ask(remote, old), ask(remote, new)]

    # Both keys verify: the site publishes the old one until its tokens have expired.
    assert after_cooldown == [(HTTPStatus.OK, "")] * 3
    assert jwks_server.fetches() == 2


def test_a_token_under_another_algorithm_costs_no_fetch(jwks_server, remote_on_jwks):
    header = {"alg": "HS256", "typ": "JWT", "kid": "made-up"}
    forged = f"{b64url(header)}.{b64url({'user_id': 1})}.{b64url(b'x' * 32)}"

    with remote_on_jwks() as remote:
        answers = [ask(remote, forged) for _ in range(10)]

    assert answers == [(HTTPStatus.UNAUTHORIZED, "token_bad_signature")] * 10
    assert jwks_server.fetches() == 0
