"""
JWT forgery and validation, after RFC 8725 and the PyJWT / SimpleJWT suites:
every case is signed or shaped by an attacker, or is a genuine token of the
wrong kind, and must be refused with a 401 and a JSON code by every lane,
never a 500. This is the one home of forged and malformed tokens; the API's
normal behaviour is in tests/accounts/test_jwt_api.py.
"""

import base64
import json
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.keys import KEY_GENERATORS, key_set, token_sign
from accounts.lanes import bearer_lanes
from accounts.models import User
from accounts.serializers import TokenObtainPairSerializer
from accounts.tokens import RefreshToken
from tests.helpers import bearer, hmac_signed, non_canonical, odd_claims

# Every case runs with the default key pair and again with HS256.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("jwt_algorithm")]

OTHER_KEY = "an-attacker-key-that-is-long-enough-for-any-hmac-0123456789abcdef"


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def claims(user: User) -> dict:
    """The claims of a genuine access token, as encoded (issuer and audience included)."""
    access = str(TokenObtainPairSerializer.get_token(user).access_token)
    return jwt.decode(access, options={"verify_signature": False})


@pytest.fixture
def refresh_token(user: User) -> str:
    """A refresh token the site itself issued to the same user: genuine, but the other kind."""
    return str(RefreshToken.for_user(user))


def sign(claims: dict, headers=None) -> str:
    """Signed as the site signs: its key, its algorithm, its kid when it has key pairs."""
    return token_sign(claims, headers=headers)


def site_algorithm() -> str:
    return settings.SIMPLE_JWT["ALGORITHM"]


def forge(claims: dict, headers=None) -> str:
    """Signed with an attacker's key for the site's own algorithm, claiming the site's kid."""
    algorithm = site_algorithm()
    if algorithm.startswith("HS"):
        return jwt.encode(claims, OTHER_KEY, algorithm=algorithm, headers=headers)
    headers = {"kid": key_set().signing_kid, **(headers or {})}
    return jwt.encode(claims, KEY_GENERATORS[algorithm](), algorithm=algorithm, headers=headers)


def same_key_hmac(claims: dict, algorithm: str) -> str:
    """Another HMAC with the site's own key material: its secret, or its public key."""
    if site_algorithm().startswith("HS"):
        return jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)
    public_pem = (
        key_set()
        .signing_key.private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hmac_signed(
        claims, public_pem, algorithm=algorithm, headers={"kid": key_set().signing_kid}
    )


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64(header)}.{b64(claims)}."


def forgeries(claims: dict, refresh_token: str) -> dict[str, str]:
    good = sign(claims)
    header, payload, signature = good.split(".")
    now = int(timezone.now().timestamp())
    other_signature = sign({**claims, "jti": "another"}).split(".")[2]
    return {
        # alg none, in every spelling, with and without a signature part
        **{
            f"alg_{spelling}": unsigned({"alg": spelling, "typ": "JWT"}, claims)
            for spelling in ("none", "None", "NONE", "nOnE", "")
        },
        "alg_none_with_signature": f"{b64({'alg': 'none'})}.{payload}.{signature}",
        "alg_missing": unsigned({"typ": "JWT"}, claims),
        # another algorithm with the same key material
        "alg_hs384": same_key_hmac(claims, "HS384"),
        "alg_hs512": same_key_hmac(claims, "HS512"),
        # payload or signature altered or removed
        "payload_user_changed": f"{header}.{b64({**claims, 'user_id': '999'})}.{signature}",
        "payload_expiry_extended": f"{header}.{b64({**claims, 'exp': now + 10**6})}.{signature}",
        # One character inside the signature changed: never the genuine one again, and
        # (unlike its last characters) no unused bits to leave the bytes as they were.
        "signature_flipped": f"{header}.{payload}.{signature[:10]}"
        f"{'B' if signature[10] == 'A' else 'A'}{signature[11:]}",
        "signature_removed": f"{header}.{payload}.",
        "signature_of_other_token": f"{header}.{payload}.{other_signature}",
        "wrong_key": forge(claims),
        # issuer and audience
        "wrong_issuer": sign({**claims, "iss": "evil"}),
        "missing_issuer": sign({k: v for k, v in claims.items() if k != "iss"}),
        "wrong_audience": sign({**claims, "aud": "evil"}),
        "audience_list_without_ours": sign({**claims, "aud": ["evil", "other"]}),
        "missing_audience": sign({k: v for k, v in claims.items() if k != "aud"}),
        # time
        "expired": sign({**claims, "exp": now - 3600}),
        "expired_beyond_leeway": sign({**claims, "exp": now - 6}),
        "not_yet_valid": sign({**claims, "nbf": now + 3600}),
        "missing_exp": sign({k: v for k, v in claims.items() if k != "exp"}),
        # claims missing or of the wrong type
        "exp_as_string": sign({**claims, "exp": "tomorrow"}),
        "iat_as_string": sign({**claims, "iat": "yesterday"}),
        "missing_jti": sign({k: v for k, v in claims.items() if k != "jti"}),
        "missing_token_type": sign({k: v for k, v in claims.items() if k != "token_type"}),
        "missing_user": sign({k: v for k, v in claims.items() if k != "user_id"}),
        # the other kind of token
        "refresh_as_access": sign({**claims, "token_type": "refresh"}),
        "sliding_as_access": sign({**claims, "token_type": "sliding"}),
        "genuine_refresh_token_as_access": refresh_token,
        # not a JWT at all
        "one_segment": "not-a-jwt",
        "two_segments": f"{header}.{payload}",
        "junk_segments": "%%%.$$$.###",
        # header fields pointing elsewhere must not be followed: signed with
        # the attacker's key, they must fail exactly like any other wrong key
        # (kid values of every kind: tests/attacks/test_key_attacks.py)
        "jku": forge(claims, headers={"jku": "http://127.0.0.1:9/keys.json"}),
        "x5u": forge(claims, headers={"x5u": "http://127.0.0.1:9/cert.pem"}),
        "jwk": forge(claims, headers={"jwk": {"kty": "oct", "k": b64(OTHER_KEY.encode())}}),
    }


# The code each refusal carries, where it is not a bad signature or algorithm.
FORGERY_CODES = {
    **dict.fromkeys(
        [
            "wrong_issuer",
            "missing_issuer",
            "wrong_audience",
            "audience_list_without_ours",
            "missing_audience",
            "not_yet_valid",
            "missing_exp",
        ],
        "token_invalid_claims",
    ),
    "expired": "token_expired",
    "expired_beyond_leeway": "token_expired",
    "exp_as_string": "token_malformed",
    "iat_as_string": "token_malformed",
    "missing_jti": "token_no_id",
    "missing_token_type": "token_wrong_type",
    "refresh_as_access": "token_wrong_type",
    "sliding_as_access": "token_wrong_type",
    "genuine_refresh_token_as_access": "token_wrong_type",
    "missing_user": "token_no_user",
    **dict.fromkeys(["one_segment", "two_segments", "junk_segments"], "token_malformed"),
}


def test_the_baseline_token_itself_is_accepted(api_client: APIClient, claims) -> None:
    response = api_client.get(reverse("api:stateless-me"), **bearer(sign(claims)))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("lane", [lane.name for lane in bearer_lanes()])
def test_every_forgery_is_refused_by_every_lane(
    api_client: APIClient, claims, refresh_token, lane
) -> None:
    refused = {}
    for name, token in forgeries(claims, refresh_token).items():
        response = api_client.get(reverse(f"api:{lane}-me"), **bearer(token))
        refused[name] = (response.status_code, response.json().get("code"))

    assert refused == {
        name: (HTTPStatus.UNAUTHORIZED, FORGERY_CODES.get(name, "token_bad_signature"))
        for name in refused
    }


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-1, True), (0, True), (4, True), (6, False), (60, False)],
)
def test_expiry_has_five_seconds_of_leeway_and_no_more(
    api_client: APIClient, claims, offset: int, accepted: bool
) -> None:
    """Accepted up to exp + 5 s of leeway, refused after."""
    token = sign(claims)
    expiry = datetime.fromtimestamp(claims["exp"], tz=UTC)

    with time_machine.travel(expiry + timedelta(seconds=offset), tick=False):
        response = api_client.get(reverse("api:stateless-me"), **bearer(token))

    assert (response.status_code == HTTPStatus.OK) is accepted


def test_an_access_token_is_refused_where_a_refresh_token_belongs(api_client, claims) -> None:
    response = api_client.post(reverse("api:token-refresh"), {"refresh": sign(claims)})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "token_wrong_type"


# ------------------------------------------------------------------ non-canonical encodings
def _with_url_safe_characters(make_token) -> str:
    """A genuine token whose signature holds a "-" or "_" (one in four has neither)."""
    for _ in range(50):
        token = make_token()
        if set(token.split(".")[2]) & {"-", "_"}:
            return token
    pytest.fail("no signature with - or _ in 50 tokens")


def test_non_canonical_encoding_is_refused_by_every_lane(api_client: APIClient, user) -> None:
    access = _with_url_safe_characters(
        lambda: str(TokenObtainPairSerializer.get_token(user).access_token)
    )
    refused = {}
    for name, token in non_canonical(access).items():
        for lane in bearer_lanes():
            response = api_client.get(reverse(f"api:{lane.name}-me"), **bearer(token))
            refused[name, lane.name] = (response.status_code, response.json()["code"])
        verify = api_client.post(reverse("api:token-verify"), {"token": token})
        refused[name, "verify"] = (verify.status_code, verify.json()["code"])

    assert len(refused) == len(non_canonical(access)) * (len(bearer_lanes()) + 1)
    assert set(refused.values()) == {(HTTPStatus.UNAUTHORIZED, "token_malformed")}
    assert api_client.get(reverse("api:denylist-me"), **bearer(access)).status_code == 200


def test_non_canonical_encoding_of_a_refresh_token_spends_nothing(
    api_client: APIClient, user
) -> None:
    genuine = _with_url_safe_characters(lambda: str(TokenObtainPairSerializer.get_token(user)))
    refused = {}
    for name, token in non_canonical(genuine).items():
        for endpoint in ("token-refresh", "token-blacklist"):
            response = api_client.post(reverse(f"api:{endpoint}"), {"refresh": token})
            refused[name, endpoint] = (response.status_code, response.json()["code"])

    assert set(refused.values()) == {(HTTPStatus.UNAUTHORIZED, "token_malformed")}
    assert not BlacklistedToken.objects.exists()
    assert api_client.post(reverse("api:token-refresh"), {"refresh": genuine}).status_code == 200


def test_non_canonical_encoding_is_refused_by_the_jwt_pages(user) -> None:
    access = _with_url_safe_characters(
        lambda: str(TokenObtainPairSerializer.get_token(user).access_token)
    )
    refresh = _with_url_safe_characters(lambda: str(TokenObtainPairSerializer.get_token(user)))
    pages, refreshes = {}, {}
    for name, token in non_canonical(access).items():
        browser = Client()
        browser.cookies[settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME] = token
        pages[name] = browser.get(reverse("accounts:jwt-profile")).status_code
    for name, token in non_canonical(refresh).items():
        browser = Client()
        browser.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME] = token
        response = browser.get(reverse("accounts:jwt-refresh"))
        refreshes[name] = response.url.startswith(reverse("accounts:jwt-login"))
        browser.post(reverse("accounts:jwt-logout"))

    assert set(pages.values()) == {HTTPStatus.FOUND}
    assert set(refreshes.values()) == {True}
    assert not BlacklistedToken.objects.exists()


# ------------------------------------------------------------------ odd claims, genuinely signed
# PyJWT refuses these itself, before the claims check: a jti must be a string,
# and it reads an exp of true as 1, long past.
PYJWT_CODES = {"jti_number": "token_malformed", "exp_true": "token_expired"}


def _odd_claim_codes(names) -> dict[str, tuple[int, str]]:
    return {
        name: (HTTPStatus.UNAUTHORIZED, PYJWT_CODES.get(name, "token_invalid_claims"))
        for name in names
    }


@pytest.mark.parametrize("lane", [lane.name for lane in bearer_lanes()])
def test_odd_claims_in_a_genuinely_signed_access_token_are_refused_not_500(
    api_client: APIClient, claims, lane
) -> None:
    refused = {}
    for name, odd in odd_claims(claims).items():
        response = api_client.get(reverse(f"api:{lane}-me"), **bearer(sign(odd)))
        refused[name] = (response.status_code, response.json()["code"])

    assert refused == _odd_claim_codes(refused)


@pytest.mark.parametrize("endpoint", ["token-refresh", "token-blacklist", "token-verify"])
def test_odd_claims_in_a_genuinely_signed_refresh_token_are_refused_not_500(
    api_client: APIClient, user, endpoint
) -> None:
    genuine = jwt.decode(
        str(TokenObtainPairSerializer.get_token(user)), options={"verify_signature": False}
    )
    cases = {**odd_claims(genuine), "no_jti": {k: v for k, v in genuine.items() if k != "jti"}}
    field = "token" if endpoint == "token-verify" else "refresh"
    refused = {}
    for name, odd in cases.items():
        response = api_client.post(reverse(f"api:{endpoint}"), {field: sign(odd)})
        refused[name] = (response.status_code, response.json()["code"])

    assert refused == {
        **_odd_claim_codes(odd_claims(genuine)),
        "no_jti": (HTTPStatus.UNAUTHORIZED, "token_no_id"),
    }
    assert not BlacklistedToken.objects.exists()


def test_verify_answers_a_blacklisted_token_with_401_and_its_code(api_client, user) -> None:
    refresh = str(TokenObtainPairSerializer.get_token(user))
    api_client.post(reverse("api:token-blacklist"), {"refresh": refresh})

    response = api_client.post(reverse("api:token-verify"), {"token": refresh})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "token_blacklisted"
