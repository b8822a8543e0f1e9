"""
The second service as a process of its own, beside a real site process: it
accepts the site's tokens with nothing but the site's public keys, refuses
what the site refuses with the site's codes, sees the site's revocations on
its denylist lane, and its requests reach the site's measurements.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime
from http import HTTPStatus

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.management import call_command
from redis import Redis
from redis.exceptions import NoPermissionError

from accounts import keys
from accounts.lanes import LANES, REMOTE_DENYLIST, REMOTE_STATELESS, remote_lanes
from comparison.models import RoleDrillRun
from comparison.probe import credential_fingerprint
from tests.helpers import (
    PASSWORD,
    b64url,
    bearer_header,
    hmac_signed,
    http_get,
    http_post,
    non_canonical,
    odd_claims,
)
from tools.processes import REPO_ROOT, wait_until
from tools.remote_service import remote_env, remote_service

ATTACKER_KEY = ed25519.Ed25519PrivateKey.generate()


def token_pair(site_url: str, username: str) -> dict[str, str]:
    answer = http_post(f"{site_url}/api/jwt/token/", {"username": username, "password": PASSWORD})
    assert answer.status == HTTPStatus.OK
    return answer.json()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_token_minted_by_the_site_is_accepted_with_the_sites_answer(site_process, remote):
    access = token_pair(site_process.url, "alice")["access"]

    for lane, site_lane in ((REMOTE_STATELESS, "stateless"), (REMOTE_DENYLIST, "denylist")):
        there = http_get(f"{remote}{lane.path}", headers=bearer_header(access))
        here = http_get(f"{site_process.url}{lane.path}", headers=bearer_header(access))

        assert there.status == here.status == HTTPStatus.OK
        assert there.json() == {**here.json(), "lane": lane.name}
        assert here.json()["lane"] == site_lane
        assert there.json()["user"]["username"] == "alice"


def test_every_lane_of_the_registry_is_answered_at_its_paths(remote, site_process):
    access = token_pair(site_process.url, "stella")["access"]

    for lane in remote_lanes():
        for path in (lane.path, lane.role_path):
            answer = http_get(f"{remote}{path}", headers=bearer_header(access))
            assert answer.status == HTTPStatus.OK, path
            assert answer.json()["lane"] == lane.name


def test_the_denylist_lane_refuses_a_token_once_the_site_revokes_its_user(site_process, remote):
    pair = token_pair(site_process.url, "alice")
    user_id = claims_of(pair["access"])["user_id"]
    before = http_get(f"{remote}{REMOTE_DENYLIST.path}", headers=bearer_header(pair["access"]))
    assert before.status == HTTPStatus.OK

    site_process.manage(
        "shell",
        "-v0",
        "-c",
        "from accounts.models import User; from accounts.services import user_revoke_access; "
        f"user_revoke_access(user=User.objects.get(pk={user_id}), actor=None)",
    )
    denylist = http_get(f"{remote}{REMOTE_DENYLIST.path}", headers=bearer_header(pair["access"]))
    stateless = http_get(f"{remote}{REMOTE_STATELESS.path}", headers=bearer_header(pair["access"]))

    assert (denylist.status, denylist.json()["code"]) == (HTTPStatus.UNAUTHORIZED, "token_revoked")
    # Only the lane that asks the revocation store knows.
    assert stateless.status == HTTPStatus.OK
    # Issued after the mark (a second later, as iat has whole seconds).
    time.sleep(1)
    fresh = token_pair(site_process.url, "alice")["access"]
    after = http_get(f"{remote}{REMOTE_DENYLIST.path}", headers=bearer_header(fresh))
    assert after.status == HTTPStatus.OK


def test_the_staff_role_is_read_from_the_token(site_process, remote):
    staff = token_pair(site_process.url, "stella")["access"]
    plain = token_pair(site_process.url, "alice")["access"]

    for lane in remote_lanes():
        honoured = http_get(f"{remote}{lane.role_path}", headers=bearer_header(staff))
        refused = http_get(f"{remote}{lane.role_path}", headers=bearer_header(plain))

        assert honoured.status == HTTPStatus.OK
        assert (refused.status, refused.json()["code"]) == (HTTPStatus.FORBIDDEN, "role_required")


def forged_tokens(claims: dict, *, jku_url: str) -> dict[str, str]:
    """Tokens an attacker can make knowing only what the site publishes."""
    site_key = keys.key_set().signing_key
    now = int(time.time())

    def site_signed(changes: dict, headers: dict | None = None) -> str:
        return keys.token_sign({**claims, **changes}, headers=headers)

    def attacker_signed(header: dict) -> str:
        signing_input = f"{b64url({'alg': 'EdDSA', 'typ': 'JWT', **header})}.{b64url(claims)}"
        return f"{signing_input}.{b64url(ATTACKER_KEY.sign(signing_input.encode()))}"

    public_pem = site_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, _, signature = site_signed({}).split(".")
    attacker_jwk = jwt.algorithms.OKPAlgorithm.to_jwk(ATTACKER_KEY.public_key(), as_dict=True)
    return {
        "expired": site_signed({"exp": now - 60, "iat": now - 400}),
        "wrong_audience": site_signed({"aud": "someone-else"}),
        "wrong_issuer": site_signed({"iss": "someone-else"}),
        "refresh_as_access": site_signed({"token_type": "refresh"}),
        "no_jti": keys.token_sign({name: value for name, value in claims.items() if name != "jti"}),
        "payload_altered": f"{header}.{b64url({**claims, 'is_staff': True})}.{signature}",
        "hmac_with_public_key": hmac_signed(claims, public_pem, headers={"kid": site_key.kid}),
        "alg_none": f"{b64url({'alg': 'none', 'kid': site_key.kid})}.{b64url(claims)}.",
        "unknown_kid": attacker_signed({"kid": "no-such-key"}),
        "no_kid": attacker_signed({}),
        "empty_kid": attacker_signed({"kid": ""}),
        "kid_path": attacker_signed({"kid": "../../.jwt-keys/keys.json"}),
        "kid_url": attacker_signed({"kid": jku_url}),
        "jku_header": attacker_signed({"kid": "attacker", "jku": jku_url}),
        "x5u_header": attacker_signed({"kid": "attacker", "x5u": jku_url}),
        "embedded_jwk": attacker_signed({"kid": "attacker", "jwk": attacker_jwk}),
        "garbage": "not.a.token",
    }


def test_forgeries_are_refused_with_the_codes_the_site_gives_and_nothing_is_fetched(
    site_process, remote, jwks_server
):
    claims = claims_of(token_pair(site_process.url, "alice")["access"])
    # The "attacker's" URL is a server that counts what it is asked for.
    attacker_url = jwks_server.url.replace("/jwks.json", "/attacker.json")
    tokens = forged_tokens(claims, jku_url=attacker_url)

    found, expected = {}, {}
    for name, token in tokens.items():
        there = http_get(f"{remote}{REMOTE_STATELESS.path}", headers=bearer_header(token))
        here = http_get(f"{site_process.url}/api/jwt/stateless/me/", headers=bearer_header(token))
        found[name] = (there.status, there.json()["code"])
        expected[name] = (here.status, here.json()["code"])

    assert len(found) == 17
    assert found == expected
    assert {status for status, _ in found.values()} == {HTTPStatus.UNAUTHORIZED}
    assert jwks_server.requests == {}


def test_non_canonical_spellings_and_odd_claims_are_refused_as_the_site_refuses_them(
    site_process, remote
):
    claims = claims_of(token_pair(site_process.url, "alice")["access"])
    # A genuine token whose signature holds a "-" or "_", so that every re-spelling differs.
    access = next(
        token
        for token in (keys.token_sign({**claims, "jti": uuid.uuid4().hex}) for _ in range(50))
        if set(token.split(".")[2]) & {"-", "_"}
    )
    tokens = {
        **{f"spelt_{name}": token for name, token in non_canonical(access).items()},
        **{f"claims_{name}": keys.token_sign(odd) for name, odd in odd_claims(claims).items()},
    }

    shipped_before = len(stored_remote_samples(site_process))
    found, expected = {}, {}
    for name, token in tokens.items():
        for there_lane, here_lane in (
            (REMOTE_STATELESS, "stateless"),
            (REMOTE_DENYLIST, "denylist"),
        ):
            there = http_get(f"{remote}{there_lane.path}", headers=bearer_header(token))
            here = http_get(
                f"{site_process.url}/api/jwt/{here_lane}/me/", headers=bearer_header(token)
            )
            found[name, there_lane.name] = (there.status, there.json()["code"])
            expected[name, there_lane.name] = (here.status, here.json()["code"])

    assert len(found) == 2 * (len(non_canonical(access)) + len(odd_claims(claims)))
    assert found == expected
    assert {status for status, _ in found.values()} == {HTTPStatus.UNAUTHORIZED}
    # Every one of them is measured; let the site have them all before the next test counts.
    wait_until(
        lambda: len(stored_remote_samples(site_process)) >= shipped_before + len(found),
        "the samples at the site",
        timeout=30,
    )


def stored_remote_samples(site_process, *tokens: str) -> list[tuple]:
    """
    The second service's samples in the site's database, oldest first: of
    requests that sent these bearer tokens, or all of them when none are named.
    The site's writer thread stores them on its own schedule, so samples of
    earlier tests may still arrive: a test that names its tokens tells its own apart.
    """
    credentials = {credential_fingerprint(f"Bearer {token}".encode()) for token in tokens}
    # closing(): the connection as a context manager only ends the transaction.
    with closing(sqlite3.connect(site_process.database)) as connection:
        rows = connection.execute(
            "SELECT credential_id, lane, outcome, status, redis_round_trips, db_queries "
            "FROM comparison_authsample WHERE lane LIKE 'remote_%' ORDER BY id"
        ).fetchall()
    return [row[1:] for row in rows if not credentials or row[0] in credentials]


def test_its_requests_are_measured_and_reach_the_sites_dashboard(site_process, remote):
    access = token_pair(site_process.url, "alice")["access"]

    accepted = http_get(f"{remote}{REMOTE_DENYLIST.path}", headers=bearer_header(access))
    refused = http_get(f"{remote}{REMOTE_STATELESS.path}", headers=bearer_header("a.b.c"))

    assert "remote_denylist accepted redis=1 db=0 bytes=" in accepted.headers["Server-Timing"]
    # Which check a refusal failed is not told to whoever sent the credential.
    assert re.fullmatch(r"auth;dur=\d+\.\d{3}", refused.headers["Server-Timing"])
    wait_until(
        lambda: len(stored_remote_samples(site_process, access, "a.b.c")) >= 2,
        "the samples at the site",
        timeout=10,
    )
    assert stored_remote_samples(site_process, access, "a.b.c") == [
        ("remote_denylist", "accepted", 200, 1, 0),
        ("remote_stateless", "malformed", 401, 0, 0),
    ]
    # The accepted token's expiry comes along: a revocation on this lane has a bound.
    with closing(sqlite3.connect(site_process.database)) as connection:
        expiries = connection.execute(
            "SELECT credential_id, credential_expires_at FROM comparison_authsample "
            "WHERE lane LIKE 'remote_%' AND credential_id IN (?, ?)",
            [
                credential_fingerprint(f"Bearer {access}".encode()),
                credential_fingerprint(b"Bearer a.b.c"),
            ],
        ).fetchall()
    exp = jwt.decode(access, options={"verify_signature": False})["exp"]
    assert {
        credential: stored and datetime.fromisoformat(stored).replace(tzinfo=UTC).timestamp()
        for credential, stored in expiries
    } == {
        credential_fingerprint(f"Bearer {access}".encode()): exp,
        credential_fingerprint(b"Bearer a.b.c"): None,
    }
    dashboard = http_get(f"{site_process.url}/comparison/")
    assert b"Second service + denylist" in dashboard.body


def test_without_the_revocation_store_only_the_stateless_lane_is_served(site_process, tmp_path):
    env = remote_env(site_url=site_process.url, ingest_key="")
    access = token_pair(site_process.url, "alice")["access"]

    with remote_service(env=env, log=tmp_path / "log") as url:
        stateless = http_get(f"{url}{REMOTE_STATELESS.path}", headers=bearer_header(access))
        denylist = http_get(f"{url}{REMOTE_DENYLIST.path}", headers=bearer_header(access))

    assert stateless.status == HTTPStatus.OK
    assert denylist.status == HTTPStatus.NOT_FOUND


def test_when_the_sites_keys_cannot_be_fetched_the_answer_is_503(tmp_path):
    token = keys.token_sign({"user_id": 1, "token_type": "access", "exp": time.time() + 60})

    # Bound and never listening: every connection to it is refused.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        env = remote_env(site_url=f"http://127.0.0.1:{closed.getsockname()[1]}", ingest_key="")
        with remote_service(env=env, log=tmp_path / "log") as url:
            answer = http_get(f"{url}{REMOTE_STATELESS.path}", headers=bearer_header(token))

    assert (answer.status, answer.json()["code"]) == (
        HTTPStatus.SERVICE_UNAVAILABLE,
        "keys_unavailable",
    )


def test_it_refuses_to_start_with_a_shared_secret_algorithm():
    result = subprocess.run(
        [sys.executable, "-m", "remote", "check"],
        cwd=REPO_ROOT,
        env={
            **remote_env(site_url="http://127.0.0.1:9", ingest_key=""),
            "JWT_ALGORITHM": "HS256",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "a shared secret, which this service never holds" in result.stderr


def test_its_revocation_store_access_is_read_only(revocation_reader):
    reader = Redis.from_url(revocation_reader)

    with pytest.raises(NoPermissionError):
        reader.set("svj:revocation:1:auth:revoked-before:1", 0)
    with pytest.raises(NoPermissionError):
        reader.get("svj:sessions:1:anything")


def test_when_the_revocation_store_is_down_the_denylist_lane_answers_503(site_process, tmp_path):
    access = token_pair(site_process.url, "alice")["access"]

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        env = remote_env(
            site_url=site_process.url,
            ingest_key="",
            redis_url=f"redis://127.0.0.1:{closed.getsockname()[1]}/0",
        )
        with remote_service(env=env, log=tmp_path / "log") as url:
            denylist = http_get(f"{url}{REMOTE_DENYLIST.path}", headers=bearer_header(access))
            stateless = http_get(f"{url}{REMOTE_STATELESS.path}", headers=bearer_header(access))

    assert (denylist.status, denylist.json()["code"]) == (
        HTTPStatus.SERVICE_UNAVAILABLE,
        "store_unavailable",
    )
    assert stateless.status == HTTPStatus.OK


@pytest.mark.django_db
def test_the_role_drill_measures_the_second_services_lanes_too(remote, capsys):
    call_command(
        "role_drill",
        access_lifetime=1,
        cadence=0.25,
        demote_after=0.5,
        margin=0.5,
        remote_url=remote,
    )

    results = RoleDrillRun.objects.get().results
    assert list(results) == [lane.name for lane in LANES]
    for lane in remote_lanes():
        # The token says staff until it expires (1 s + 5 s leeway): the service knows no better.
        assert results[lane.name]["honoured_after"] >= 1, lane.name
        assert results[lane.name]["refusal"] == "Expired", lane.name
        assert "site's public key alone" in results[lane.name]["why"]
    assert "the second service at http://127.0.0.1:" in capsys.readouterr().out
