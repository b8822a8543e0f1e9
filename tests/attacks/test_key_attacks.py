"""
Attacks on the signing-key surface (issue 13), after RFC 8725 (§2.1, §3.1,
§3.10) and PyJWT's own algorithm-confusion tests: the public key used as an
HMAC secret, a kid that is not one of ours, headers that carry or point at
the attacker's key, and keys that are retired or never existed. Every one is
refused by every lane and token endpoint with a 401 and a code, never a 500,
and nothing named in a token is ever fetched.
"""

import base64
import json
import socket
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.urls import reverse
from jwt.algorithms import get_default_algorithms
from rest_framework.test import APIClient

from accounts import keys
from accounts.lanes import bearer_lanes
from accounts.models import User
from accounts.serializers import TokenObtainPairSerializer
from tests.helpers import b64url, bearer, hmac_signed

pytestmark = pytest.mark.django_db

LANES = [lane.name for lane in bearer_lanes()]
ATTACKER_KID = "attacker-key-1"
ATTACKER_URL = "https://attacker.example/.well-known/jwks.json"


@pytest.fixture
def claims(user: User) -> dict:
    access = str(TokenObtainPairSerializer.get_token(user).access_token)
    return jwt.decode(access, options={"verify_signature": False})


def refusals(client: APIClient, tokens: dict[str, str], lane: str) -> dict[str, tuple]:
    found = {}
    for name, token in tokens.items():
        response = client.get(reverse(f"api:{lane}-me"), **bearer(token))
        found[name] = (response.status_code, response.json().get("code"))
    return found


def site_algorithm() -> str:
    return settings.SIMPLE_JWT["ALGORITHM"]


def signed(private_key: keys.PrivateKey, header: dict, claims: dict) -> str:
    """
    Signed with PyJWT's own algorithm for the site's algorithm, but assembled
    by hand, so the header may hold what PyJWT refuses to write (a kid that
    is not a string).
    """
    algorithm = site_algorithm()
    signing_input = f"{b64url({'alg': algorithm, 'typ': 'JWT', **header})}.{b64url(claims)}"
    signature = get_default_algorithms()[algorithm].sign(signing_input.encode(), private_key)
    return f"{signing_input}.{b64url(signature)}"


def foreign_key() -> keys.PrivateKey:
    """A key of the site's own algorithm that the site never made."""
    return keys.KEY_GENERATORS[site_algorithm()]()


def public_jwk(private_key: keys.PrivateKey, kid: str) -> dict:
    algorithm = site_algorithm()
    jwk = get_default_algorithms()[algorithm].to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": algorithm}


# ------------------------------------------------------------------ algorithm confusion
def public_key_secrets(site_key: keys.SiteKey) -> dict[str, bytes]:
    """Every form an attacker could take the published key in, to use as an HMAC secret."""
    public = site_key.private_key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "pem": pem,
        "pem_stripped": pem.strip(),
        "der": der,
        "jwk": json.dumps(site_key.jwk).encode(),
    }


@pytest.mark.parametrize("lane", LANES)
@pytest.mark.parametrize("site_algorithm", ["EdDSA", "ES256", "RS256"])
def test_algorithm_confusion_is_refused(
    api_client, claims, keys_dir, settings, site_algorithm, lane
) -> None:
    """The public key as an HMAC secret under HS256/384/512, and alg none, with our kid."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": site_algorithm}
    keys.signing_key_rotate()
    site_key = keys.key_set().signing_key
    kid = {"kid": site_key.kid}
    tokens = {
        f"{algorithm}_{form}": hmac_signed(claims, secret, algorithm=algorithm, headers=kid)
        for algorithm in ("HS256", "HS384", "HS512")
        for form, secret in public_key_secrets(site_key).items()
    }
    for spelling in ("none", "None", "NONE"):
        tokens[f"alg_{spelling}"] = f"{b64url({'alg': spelling, **kid})}.{b64url(claims)}."

    found = refusals(api_client, tokens, lane)

    assert len(found) == 15
    assert found == dict.fromkeys(tokens, (HTTPStatus.UNAUTHORIZED, "token_bad_signature"))


def test_the_hmac_forger_makes_tokens_the_site_accepts_with_the_real_secret(
    api_client, claims, settings
) -> None:
    """The control for the confusion cases: they are refused for their key, not their shape."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": "HS256"}
    token = hmac_signed(claims, settings.SIMPLE_JWT["SIGNING_KEY"].encode())

    assert api_client.get(reverse("api:stateless-me"), **bearer(token)).status_code == HTTPStatus.OK


# ------------------------------------------------------------------ malformed JOSE header
@pytest.mark.parametrize("lane", LANES)
def test_malformed_header_is_refused_before_any_key_is_looked_up(api_client, claims, lane) -> None:
    """
    The header is read on its own to find the key (``keys.unverified_header``):
    whatever it holds, a 401 with a code, never a 500, and never a code that a
    whole token would not get.
    """
    site_key = keys.key_set().signing_key
    body = f"{b64url(claims)}.{b64url(b'signature')}"
    deep_object = b'{"a":' * 900
    tokens = {
        "nested_900_deep": f"{b64url(b'[' * 900)}.{body}",
        "nested_object_deep": f"{b64url(deep_object)}.{body}",
        "alg_list": f"{b64url({'alg': [site_algorithm()], 'kid': site_key.kid})}.{body}",
        "alg_object": f"{b64url({'alg': {}, 'kid': site_key.kid})}.{body}",
        "alg_number": f"{b64url({'alg': 1, 'kid': site_key.kid})}.{body}",
        "one_segment_alg_object": b64url({"alg": {}}),
        "one_segment": b64url({"alg": site_algorithm(), "kid": "unknown"}),
        "two_segments": f"{b64url({'alg': site_algorithm(), 'kid': 'unknown'})}.{b64url(claims)}",
        "header_a_list": f"{b64url([1, 2])}.{body}",
        "header_not_json": f"{b64url(b'not json')}.{body}",
    }

    found = refusals(api_client, tokens, lane)

    assert found == {
        name: (
            HTTPStatus.UNAUTHORIZED,
            "token_bad_signature" if name.startswith("alg_") else "token_malformed",
        )
        for name in tokens
    }


# ------------------------------------------------------------------ kid injection
@pytest.mark.parametrize("lane", LANES)
def test_kid_injection_is_refused(api_client, claims, lane) -> None:
    """Genuinely signed by the site's key: only the kid is wrong, and that alone refuses it."""
    site_key = keys.key_set().signing_key
    kids: dict[str, object] = {
        "unknown": "20260101-000000000000",
        "empty": "",
        "path_traversal": "../../etc/passwd",
        "absolute_path": "/etc/passwd",
        "key_file_name": f"{site_key.kid}.pem",
        "state_file_name": keys.STATE_FILE,
        "url": ATTACKER_URL,
        "very_long": "k" * 10_000,
        "null_byte": f"{site_key.kid}\x00",
        "trailing_newline": f"{site_key.kid}\n",
        "sql": "' OR '1'='1",
    }
    # PyJWT refuses a header whose kid is not a string before any key is looked up.
    not_strings: dict[str, object] = {
        "integer": 1,
        "null": None,
        "list": [site_key.kid],
        "object": {"kid": site_key.kid},
    }
    tokens = {
        name: signed(site_key.private_key, {"kid": kid}, claims)
        for name, kid in {**kids, **not_strings}.items()
    }
    tokens["missing"] = signed(site_key.private_key, {}, claims)

    found = refusals(api_client, tokens, lane)

    assert len(found) == 16
    assert found == {
        name: (
            HTTPStatus.UNAUTHORIZED,
            "token_malformed" if name in not_strings else "token_unknown_key",
        )
        for name in tokens
    }


@pytest.mark.parametrize("lane", LANES)
def test_a_kid_naming_another_of_our_keys_is_refused(api_client, claims, keys_dir, lane) -> None:
    keys.signing_key_rotate()
    older = keys.key_set().signing_kid
    keys.signing_key_rotate()
    newer = keys.key_set().signing_key

    token = signed(newer.private_key, {"kid": older}, claims)

    found = refusals(api_client, {"kid_swapped": token}, lane)
    assert found == {"kid_swapped": (HTTPStatus.UNAUTHORIZED, "token_bad_signature")}


# ------------------------------------------------------------------ keys carried or pointed at
@pytest.fixture
def outbound() -> Iterator[list[str]]:
    """Every outbound connection, lookup or URL open attempted, except to the test's Redis."""
    attempts: list[str] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def local(host: object) -> bool:
        return host in {"127.0.0.1", "localhost", "::1"}

    def connect(self, address):
        if not (isinstance(address, tuple) and local(address[0])):
            attempts.append(f"connect {address}")
            raise OSError("outbound connection attempted")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not local(host):
            attempts.append(f"getaddrinfo {host}")
            raise OSError("outbound lookup attempted")
        return real_getaddrinfo(host, *args, **kwargs)

    def urlopen(url, *args, **kwargs):
        attempts.append(f"urlopen {getattr(url, 'full_url', url)}")
        raise OSError("outbound fetch attempted")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(urllib.request, "urlopen", urlopen)
        yield attempts


def key_header_tokens(claims: dict, site_kid: str) -> dict[str, str]:
    """The attacker's key, carried in the token or at a URL it names, under three kinds of kid."""
    attacker_key = foreign_key()
    attacker_jwk = public_jwk(attacker_key, ATTACKER_KID)
    der = attacker_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    carriers = {
        "jku": {"jku": ATTACKER_URL},
        "x5u": {"x5u": "https://attacker.example/cert.pem"},
        "jwk": {"jwk": attacker_jwk},
        "x5c": {"x5c": [base64.b64encode(der).decode()]},
        "jku_ip": {"jku": "http://192.0.2.1/jwks.json"},
    }
    kids = {"attacker_kid": {"kid": ATTACKER_KID}, "our_kid": {"kid": site_kid}, "no_kid": {}}
    return {
        f"{carrier}_{kid_name}": signed(attacker_key, {**header, **kid}, claims)
        for carrier, header in carriers.items()
        for kid_name, kid in kids.items()
    }


@pytest.mark.parametrize("lane", LANES)
def test_key_carrying_headers_are_never_fetched_nor_used(
    api_client, claims, outbound, lane
) -> None:
    tokens = key_header_tokens(claims, keys.key_set().signing_kid)

    found = refusals(api_client, tokens, lane)

    assert len(found) == 15
    assert found == {
        name: (
            HTTPStatus.UNAUTHORIZED,
            "token_bad_signature" if name.endswith("our_kid") else "token_unknown_key",
        )
        for name in tokens
    }
    assert outbound == []


def test_the_outbound_guard_sees_a_fetch(outbound) -> None:
    """The control: the guard used above does notice a client that fetches a key set."""
    with pytest.raises(jwt.PyJWKClientError):
        jwt.PyJWKClient(ATTACKER_URL).get_signing_keys()

    assert outbound == ["getaddrinfo attacker.example"]


# ------------------------------------------------------------------ keys retired or never made
@pytest.mark.parametrize("lane", LANES)
def test_a_token_of_a_retired_key_is_refused(api_client, claims, keys_dir, lane) -> None:
    keys.signing_key_rotate()
    retired = keys.key_set().signing_key
    rotation = keys.signing_key_rotate()
    assert rotation.previous_retire_after is not None
    token = signed(retired.private_key, {"kid": retired.kid}, claims)

    with time_machine.travel(rotation.previous_retire_after):
        keys.signing_keys_retire_expired()
        found = refusals(api_client, {"retired": token}, lane)

    assert found == {"retired": (HTTPStatus.UNAUTHORIZED, "token_key_retired")}


@pytest.mark.parametrize("lane", LANES)
def test_a_token_of_a_key_that_exists_nowhere_is_refused(api_client, claims, lane) -> None:
    """A second service's own key, say, which this site never made nor published."""
    tokens = {
        kid: signed(foreign_key(), {"kid": kid}, claims)
        for kid in ("second-service-1", "20260101-abcdef012345")
    }

    found = refusals(api_client, tokens, lane)

    assert found == dict.fromkeys(tokens, (HTTPStatus.UNAUTHORIZED, "token_unknown_key"))


def test_the_token_endpoints_refuse_every_key_attack_with_401(api_client, claims, outbound) -> None:
    """Refresh and verify read tokens too: the same tokens get a 401 there, never a 500."""
    site_key = keys.key_set().signing_key
    tokens = {
        **key_header_tokens({**claims, "token_type": "refresh"}, site_key.kid),
        "kid_path": signed(site_key.private_key, {"kid": "../keys.json"}, claims),
        "kid_integer": signed(site_key.private_key, {"kid": 7}, claims),
        "confusion": hmac_signed(claims, b"".join(public_key_secrets(site_key).values())),
    }

    statuses = {
        (name, endpoint): api_client.post(reverse(endpoint), {field: token}).status_code
        for name, token in tokens.items()
        for endpoint, field in (("api:token-refresh", "refresh"), ("api:token-verify", "token"))
    }

    assert len(statuses) == 36
    assert set(statuses.values()) == {HTTPStatus.UNAUTHORIZED}
    assert outbound == []
