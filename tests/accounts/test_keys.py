"""
The signing keys: the published key set, rotation without logging anyone
out, retirement, and a rotation reaching a running process. Attacks on the
keys are in tests/attacks/test_key_attacks.py.
"""

import logging
import os
import stat
import subprocess
import sys
from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import jwt
import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts import keys
from accounts.models import User
from tests.helpers import PASSWORD, b64url, bearer

pytestmark = pytest.mark.django_db

# Every member that holds a private part, in any key type (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037).
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("jwt_rotate_keys", *args, stdout=out)
    return out.getvalue()


def login(client: APIClient, user: User) -> dict[str, str]:
    response = client.post(
        reverse("api:token-obtain"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.OK
    return response.json()


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def me(client: APIClient, token: str):
    return client.get(reverse("api:stateless-me"), **bearer(token))


# ------------------------------------------------------------------ the published key set
@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
def test_jwks_never_contains_a_private_member(client, keys_dir, settings, algorithm) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": algorithm}
    keys.signing_key_rotate()
    keys.signing_key_rotate()

    published = client.get(reverse("jwks")).json()["keys"]

    assert len(published) == 2
    assert [sorted(PRIVATE_MEMBERS & set(key)) for key in published] == [[], []]


def test_jwks_publishes_every_verifying_key_with_kid_use_and_alg(client, keys_dir) -> None:
    first = keys.signing_key_rotate()
    second = keys.signing_key_rotate()

    published = client.get(reverse("jwks")).json()["keys"]

    assert {key["kid"] for key in published} == {first.kid, second.kid}
    assert {(key["use"], key["alg"], key["kty"], key["crv"]) for key in published} == {
        ("sig", "EdDSA", "OKP", "Ed25519")
    }


def test_jwks_verifies_the_sites_tokens_with_nothing_else(api_client, user, keys_dir) -> None:
    access = login(api_client, user)["access"]
    published = jwt.PyJWKSet.from_dict(api_client.get(reverse("jwks")).json())

    claims = jwt.decode(access, published[kid_of(access)], audience=settings.SIMPLE_JWT["AUDIENCE"])

    assert claims["username"] == user.username


def test_jwks_may_be_cached_briefly_by_anyone(client) -> None:
    response = client.get(reverse("jwks"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=60"}


def test_jwks_is_empty_when_tokens_are_signed_with_a_shared_secret(client, settings) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": "HS256"}

    assert client.get(reverse("jwks")).json() == {"keys": []}


def test_jwks_answers_only_reads(client) -> None:
    assert client.post(reverse("jwks")).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# ------------------------------------------------------------------ keys on disk
def test_a_development_key_is_made_on_first_use_and_marked(keys_dir, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="accounts.keys"):
        signing = keys.key_set().signing_key

    assert keys.key_state_read().keys[0].development is True
    assert f"Generated a development JWT signing key {signing.kid}" in caplog.text


def test_production_never_makes_a_key_by_itself(keys_dir, settings) -> None:
    settings.ACCOUNTS_JWT_DEVELOPMENT_KEYS = False

    with pytest.raises(keys.ImproperlyConfigured, match="jwt_rotate_keys --initial"):
        keys.key_set()
    assert not (keys_dir / keys.STATE_FILE).exists()


def test_key_files_are_readable_by_their_owner_only(keys_dir) -> None:
    rotation = keys.signing_key_rotate()

    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((keys_dir / f"{rotation.kid}.pem").stat().st_mode) == 0o600


def test_the_key_set_is_read_once_while_the_state_file_is_unchanged(keys_dir) -> None:
    keys.signing_key_rotate()

    assert keys.key_set() is keys.key_set()


def test_a_rotation_in_another_process_reaches_this_one_without_restart(keys_dir) -> None:
    before = keys.key_set().signing_kid
    env = {**os.environ, "JWT_KEYS_DIR": str(keys_dir), "DJANGO_SETTINGS_MODULE": "config.settings"}
    now = int(timezone.now().timestamp())
    claims = {"sub": "x", "iat": now, "exp": now + 60, "iss": jwt_settings.ISSUER}
    if jwt_settings.AUDIENCE is not None:
        claims["aud"] = jwt_settings.AUDIENCE
    rotate_and_sign = (
        f"from accounts import keys; keys.signing_key_rotate(); print(keys.token_sign({claims!r}))"
    )

    signed = subprocess.run(  # noqa: S603 - our own manage.py, arguments we wrote
        [sys.executable, "manage.py", "shell", "-c", rotate_and_sign],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]

    # Verified at once: a kid this process does not hold makes it look again.
    assert keys.token_backend().decode(signed)["sub"] == "x"
    after = keys.key_set()
    assert after.signing_kid == kid_of(signed) != before
    assert set(after.keys) == {before, after.signing_kid}


def test_a_process_looks_at_the_state_file_once_a_second_at_most(keys_dir, monkeypatch) -> None:
    keys.key_set()
    looked: list[object] = []
    real_stamp = keys._state_stamp
    monkeypatch.setattr(keys, "_state_stamp", lambda path: looked.append(path) or real_stamp(path))

    for _ in range(100):
        keys.key_set()
    monkeypatch.setattr(keys, "STATE_RECHECK_SECONDS", 0.0)
    keys.key_set()

    assert len(looked) == 1


# ------------------------------------------------------------------ rotation
def test_during_a_rotation_old_and_new_tokens_both_work(api_client, user, keys_dir) -> None:
    old = login(api_client, user)
    rotation = keys.signing_key_rotate()
    new = login(api_client, user)

    assert kid_of(old["access"]) == rotation.previous_kid
    assert kid_of(new["access"]) == rotation.kid
    assert me(api_client, old["access"]).status_code == HTTPStatus.OK
    assert me(api_client, new["access"]).status_code == HTTPStatus.OK


def test_a_rotation_logs_nobody_out(api_client, user, keys_dir) -> None:
    """A refresh token signed by the old key still refreshes, into tokens of the new key."""
    old = login(api_client, user)
    rotation = keys.signing_key_rotate()

    response = api_client.post(reverse("api:token-refresh"), {"refresh": old["refresh"]})

    assert response.status_code == HTTPStatus.OK
    assert {kid_of(token) for token in response.json().values()} == {rotation.kid}


def test_the_old_key_verifies_until_its_last_refresh_token_has_expired(keys_dir) -> None:
    """
    Retirement = rotation + refresh lifetime (the longer one) + leeway + the
    second another process may still sign with the old key.
    """
    keys.signing_key_rotate()
    moment = timezone.now()

    rotation = keys.signing_key_rotate(now=moment)

    assert rotation.previous_retire_after == moment + timedelta(days=1, seconds=5 + 1)


def test_a_token_past_its_keys_retirement_is_refused_with_its_own_code(
    api_client, user, keys_dir
) -> None:
    old = login(api_client, user)
    rotation = keys.signing_key_rotate()
    assert rotation.previous_retire_after is not None

    # Any load drops a key past its retirement, before any command retires it.
    with time_machine.travel(rotation.previous_retire_after, tick=False):
        response = api_client.post(reverse("api:token-refresh"), {"refresh": old["refresh"]})
        run_command("--retire-expired")
        after_command = me(api_client, old["access"])

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert after_command.status_code == HTTPStatus.UNAUTHORIZED
    assert after_command.json()["code"] == "token_key_retired"
    assert not (keys_dir / f"{rotation.previous_kid}.pem").exists()
    assert keys.key_state_read().retired == (rotation.previous_kid,)


def test_retiring_early_changes_nothing(keys_dir) -> None:
    keys.signing_key_rotate()
    keys.signing_key_rotate()

    assert keys.signing_keys_retire_expired() == []
    assert len(keys.key_state_read().keys) == 2


def test_a_change_of_algorithm_is_a_rotation_like_any_other(
    api_client, user, keys_dir, settings
) -> None:
    old = login(api_client, user)
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": "ES256"}
    keys.signing_key_rotate()
    new = login(api_client, user)

    assert jwt.get_unverified_header(new["access"])["alg"] == "ES256"
    assert me(api_client, old["access"]).status_code == HTTPStatus.OK
    assert me(api_client, new["access"]).status_code == HTTPStatus.OK


# ------------------------------------------------------------------ the command
def test_the_command_says_which_key_signs_and_until_when_the_old_one_verifies(keys_dir) -> None:
    first = run_command().splitlines()
    second = run_command().splitlines()

    new_kid = keys.key_set().signing_kid
    old_kid = first[0].split()[2]
    assert first == [f"Signing with {old_kid} (EdDSA) from now.", "Retired: none."]
    assert second[0] == f"Signing with {new_kid} (EdDSA) from now."
    assert second[1].startswith(f"{old_kid} no longer signs; it verifies until ")


def test_initial_makes_the_first_key_and_then_nothing(keys_dir) -> None:
    run_command("--initial")
    kid = keys.key_set().signing_kid

    assert run_command("--initial") == f"{keys_dir} already has a signing key.\n"
    assert keys.key_set().signing_kid == kid
    assert keys.key_state_read().keys[0].development is False


def test_a_shared_secret_is_not_rotated_by_the_command(keys_dir, settings) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": "HS256"}

    with pytest.raises(CommandError, match="no key pair to rotate"):
        run_command()
    assert run_command("--initial").startswith("JWT_ALGORITHM is HS*")


# ------------------------------------------------------------------ the admin page
def test_staff_rotate_the_signing_key_from_the_admin_after_confirming(
    admin_client, keys_dir
) -> None:
    before = keys.key_set().signing_kid

    listing = admin_client.get(reverse("admin-signing-keys"))
    confirmation = admin_client.get(reverse("admin-signing-key-rotate"))
    unchanged = keys.key_set().signing_kid
    response = admin_client.post(reverse("admin-signing-key-rotate"), follow=True)

    after = keys.key_set().signing_kid
    assert before in listing.content.decode()
    assert "Yes, rotate the signing key" in confirmation.content.decode()
    assert unchanged == before
    assert after != before
    assert f"Key {after} signs new tokens from now. {before} verifies until" in (
        response.content.decode()
    )


def test_a_rotation_from_the_admin_needs_its_csrf_token(admin_user, keys_dir) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    before = keys.key_set().signing_kid

    response = browser.post(reverse("admin-signing-key-rotate"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert keys.key_set().signing_kid == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_only_staff_reach_the_signing_keys_pages(session_client, keys_dir, method) -> None:
    before = keys.key_set().signing_kid

    response = getattr(session_client, method)(reverse("admin-signing-key-rotate"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    assert keys.key_set().signing_kid == before


def test_the_admin_offers_no_rotation_of_a_shared_secret(admin_client, settings) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": "HS256"}

    page = admin_client.get(reverse("admin-signing-keys")).content.decode()
    refused = admin_client.post(reverse("admin-signing-key-rotate"), follow=True)

    assert "there is no key pair to rotate" in page
    assert "no key pair to rotate" in refused.content.decode()


def test_the_admin_index_links_to_the_signing_keys(admin_client) -> None:
    assert (
        reverse("admin-signing-keys") in admin_client.get(reverse("admin:index")).content.decode()
    )


# ------------------------------------------------------------------ the header read
def test_a_header_segment_is_parsed_once_and_a_refused_one_every_time() -> None:
    keys._parse_known_header.cache_clear()
    site = f"{b64url({'alg': 'EdDSA', 'kid': 'k1', 'typ': 'JWT'})}.e30.c2ln"
    refused = f"{b64url(b'[1]')}.e30.c2ln"
    too_long = f"{b64url({'alg': 'EdDSA', 'kid': 'k' * 600})}.e30.c2ln"

    first, second = keys.unverified_header(site), keys.unverified_header(site.encode())
    for _ in range(2):
        with pytest.raises(jwt.DecodeError):
            keys.unverified_header(refused)
    assert keys.unverified_header(too_long)["kid"] == "k" * 600

    assert first == second == {"alg": "EdDSA", "kid": "k1", "typ": "JWT"}
    # One parse for the site's header, one try per refusal, none kept for the long one.
    info = keys._parse_known_header.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 3, 1)
    # One parsed header answers every token that carries it: its alg and kid stay as sent.
    with pytest.raises(TypeError):
        first["kid"] = "k2"  # type: ignore[index]
