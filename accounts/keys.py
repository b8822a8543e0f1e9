"""
The site's signing keys, for the asymmetric algorithms (EdDSA by default, see
``config/settings.py``): one key signs; the keys it replaced keep verifying
until every token they signed has expired; only public halves are published
(``/.well-known/jwks.json``), so another service can verify a token without
holding anything that could mint one.

Keys live where the deployment puts them, the directory
``ACCOUNTS_JWT_KEYS_DIR`` (env ``JWT_KEYS_DIR``), never in the repository:
one PEM file per key and ``keys.json``, the state of every key (created,
signing until, retire after, development or not) and the kids already
retired. A directory rather than environment variables, because a rotation
writes. Every process keeps the set in memory and reloads it when
``keys.json`` changes, looking (one ``stat``) at most once a second, and at
once when a token names a kid the set does not hold. So a rotation made by
one process (``manage.py jwt_rotate_keys``, the admin page) is verified by
every worker at once and signs in every worker within a second, with no
restart; a key retired early by another process stops verifying within a
second. Writes hold a file
lock and replace ``keys.json`` atomically: a reader sees the old state or
the new one, never half of either.

A token's key is the one its ``kid`` names in this set, looked up in a dict
and never used as a path; ``jku``, ``x5u``, ``jwk`` and ``x5c`` headers are
never read, so no token can bring its own key or send the site to fetch one
(RFC 8725 §3.10).

With ``ALGORITHM`` HS256/384/512 none of this is used: SimpleJWT's own
backend signs with ``SIGNING_KEY`` and nothing is published.
"""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from jwt.algorithms import get_default_algorithms
from jwt.utils import base64url_decode
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

logger = logging.getLogger(__name__)

STATE_FILE = "keys.json"
# How long a process trusts the key set in memory before looking at the state file again.
STATE_RECHECK_SECONDS = 1.0
LOCK_FILE = ".lock"
# Every kid this site makes matches this; a token's kid that does not names no key of ours.
KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

# The asymmetric algorithms a key can be made for, with how to make one.
# RSA at 2048 bits: the size RFC 7518 requires and most deployments use.
KEY_GENERATORS: dict[str, Callable[[], PrivateKey]] = {
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


def is_symmetric(algorithm: str) -> bool:
    """HS256/384/512: one shared secret both signs and verifies, and nothing can be published."""
    return algorithm.startswith("HS")


class UnknownSigningKey(jwt.InvalidTokenError):
    """The token names no key of this site: no kid, a malformed one, or one never made here."""


class RetiredSigningKey(jwt.InvalidTokenError):
    """The token was signed by a key of this site that has been retired."""


# ------------------------------------------------------------------ the state file
@dataclass(frozen=True)
class KeyRecord:
    """One key's line in ``keys.json``."""

    kid: str
    algorithm: str
    created: datetime
    # None while the key signs; then the last moment it did.
    signing_until: datetime | None = None
    # None while the key signs; then when the last token it signed has expired.
    retire_after: datetime | None = None
    # Made on first use outside production; DJANGO_SECURE=1 refuses to run with one.
    development: bool = False

    @property
    def signing(self) -> bool:
        return self.signing_until is None

    def expired(self, now: datetime) -> bool:
        return self.retire_after is not None and self.retire_after <= now

    def as_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "algorithm": self.algorithm,
            "created": self.created.isoformat(),
            "signing_until": _iso_or_none(self.signing_until),
            "retire_after": _iso_or_none(self.retire_after),
            "development": self.development,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyRecord:
        return cls(
            kid=_checked_kid(data["kid"]),
            algorithm=data["algorithm"],
            created=datetime.fromisoformat(data["created"]),
            signing_until=_datetime_or_none(data.get("signing_until")),
            retire_after=_datetime_or_none(data.get("retire_after")),
            development=bool(data.get("development", False)),
        )


@dataclass(frozen=True)
class KeyState:
    """What ``keys.json`` says: the live keys and the kids retired so far."""

    keys: tuple[KeyRecord, ...] = ()
    # Kept after the key itself is deleted, so its tokens are told apart from forgeries.
    retired: tuple[str, ...] = ()

    @property
    def signing_record(self) -> KeyRecord | None:
        return next((record for record in self.keys if record.signing), None)

    def as_json(self) -> dict[str, Any]:
        return {"keys": [record.as_json() for record in self.keys], "retired": list(self.retired)}


def _iso_or_none(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _datetime_or_none(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _checked_kid(kid: object) -> str:
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise ImproperlyConfigured(f"{STATE_FILE} names a key {kid!r}, which is not a valid kid.")
    return kid


def keys_directory() -> Path:
    return Path(settings.ACCOUNTS_JWT_KEYS_DIR)


def key_state_read(*, directory: Path | None = None) -> KeyState:
    """The state file as it is on disk; an empty state when there is none yet."""
    path = (directory or keys_directory()) / STATE_FILE
    try:
        data = json.loads(path.read_text())
        return KeyState(
            keys=tuple(KeyRecord.from_json(item) for item in data["keys"]),
            retired=tuple(_checked_kid(kid) for kid in data.get("retired", [])),
        )
    except FileNotFoundError:
        return KeyState()
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ImproperlyConfigured(
            f"Cannot read {path}: {e}. Restore it from a backup, or point JWT_KEYS_DIR at a "
            "directory of keys made by `python manage.py jwt_rotate_keys`."
        ) from e


def _state_write(directory: Path, state: KeyState) -> None:
    """Replace the state file in one step (readers see the old file or the new one)."""
    with tempfile.NamedTemporaryFile(
        "w", dir=directory, prefix=f".{STATE_FILE}.", delete=False
    ) as file:
        json.dump(state.as_json(), file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    Path(file.name).replace(directory / STATE_FILE)
    # This process sees its own write at once; the others within STATE_RECHECK_SECONDS.
    _cache.clear()


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One writer at a time, across processes (two admins, two workers on first run)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (directory / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _key_path(directory: Path, kid: str) -> Path:
    return directory / f"{kid}.pem"


def _key_create(
    directory: Path, *, algorithm: str, now: datetime, development: bool = False
) -> KeyRecord:
    """A new private key on disk, readable by its owner only; its record is not yet in the state."""
    try:
        generate = KEY_GENERATORS[algorithm]
    except KeyError:
        raise ImproperlyConfigured(
            f"No key can be made for JWT_ALGORITHM={algorithm}: use one of "
            f"{', '.join(KEY_GENERATORS)}, or HS256 for a shared secret."
        ) from None
    kid = f"{now:%Y%m%d}-{secrets.token_hex(6)}"
    pem = generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(_key_path(directory, kid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return KeyRecord(kid=kid, algorithm=algorithm, created=now, development=development)


def _expired_retire(state: KeyState, now: datetime) -> tuple[KeyState, list[str]]:
    """The state without the keys whose tokens have all expired; their files are deleted after."""
    expired = [record.kid for record in state.keys if record.expired(now)]
    kept = tuple(record for record in state.keys if not record.expired(now))
    return KeyState(keys=kept, retired=(*state.retired, *expired)), expired


def _key_files_delete(directory: Path, kids: list[str]) -> None:
    for kid in kids:
        _key_path(directory, kid).unlink(missing_ok=True)


# ------------------------------------------------------------------ services
@dataclass(frozen=True)
class KeyRotation:
    """What one rotation did."""

    kid: str
    algorithm: str
    previous_kid: str | None
    previous_retire_after: datetime | None
    retired: list[str] = field(default_factory=list)


def longest_token_life() -> timedelta:
    """
    How long after a rotation one of the old key's tokens can still be
    valid: the longer of the two lifetimes (refresh tokens are signed too),
    plus the leeway verification allows past ``exp``, plus the time other
    processes may go on signing with it before they look at the state file.
    """
    jwt_settings = simplejwt_settings.api_settings
    lifetime = max(jwt_settings.ACCESS_TOKEN_LIFETIME, jwt_settings.REFRESH_TOKEN_LIFETIME)
    return lifetime + token_backend().get_leeway() + timedelta(seconds=STATE_RECHECK_SECONDS)


def _rotatable_algorithm() -> str:
    algorithm = simplejwt_settings.api_settings.ALGORITHM
    if is_symmetric(algorithm):
        raise ImproperlyConfigured(
            f"JWT_ALGORITHM is {algorithm}: tokens are signed with the shared JWT_SIGNING_KEY, "
            "so there is no key pair to rotate. Unset JWT_ALGORITHM to sign with EdDSA keys."
        )
    return algorithm


def signing_key_rotate(*, now: datetime | None = None) -> KeyRotation:
    """
    Add a new signing key (for the configured ``ALGORITHM``) and stop signing
    with the previous one, which keeps verifying until every token it signed
    has expired (``longest_token_life`` after this moment), so nobody is
    logged out. Keys already past that are retired on the way.
    """
    algorithm = _rotatable_algorithm()
    directory = keys_directory()
    now = now or timezone.now()
    with _locked(directory):
        state, retired = _expired_retire(key_state_read(directory=directory), now)
        previous = state.signing_record
        new = _key_create(directory, algorithm=algorithm, now=now)
        keys = [record for record in state.keys if record is not previous]
        if previous is not None:
            previous = replace(previous, signing_until=now, retire_after=now + longest_token_life())
            keys.append(previous)
        _state_write(directory, KeyState(keys=(*keys, new), retired=state.retired))
        _key_files_delete(directory, retired)
    logger.info(
        "JWT signing key %s (%s) now signs; retired: %s", new.kid, algorithm, retired or "none"
    )
    return KeyRotation(
        kid=new.kid,
        algorithm=algorithm,
        previous_kid=previous.kid if previous else None,
        previous_retire_after=previous.retire_after if previous else None,
        retired=retired,
    )


def signing_keys_retire_expired(*, now: datetime | None = None) -> list[str]:
    """Retire the keys whose tokens have all expired; the kids retired."""
    directory = keys_directory()
    now = now or timezone.now()
    with _locked(directory):
        current = key_state_read(directory=directory)
        state, retired = _expired_retire(current, now)
        if retired:
            _state_write(directory, state)
            _key_files_delete(directory, retired)
    return retired


def _development_keys_create(directory: Path) -> None:
    """The first key of a development checkout, marked so production refuses it."""
    algorithm = _rotatable_algorithm()
    with _locked(directory):
        if (directory / STATE_FILE).exists():
            return
        record = _key_create(directory, algorithm=algorithm, now=timezone.now(), development=True)
        _state_write(directory, KeyState(keys=(record,)))
    logger.warning(
        "Generated a development JWT signing key %s (%s) in %s. It is for development only: "
        "with DJANGO_SECURE=1 the site refuses to start with it.",
        record.kid,
        algorithm,
        directory,
    )


# ------------------------------------------------------------------ the key set in memory
@dataclass(frozen=True)
class SiteKey:
    record: KeyRecord
    private_key: PrivateKey
    # The public half as published: public members only, with kid, use and alg.
    jwk: dict[str, Any]
    # The same, bound to its algorithm: PyJWT refuses a token whose alg differs.
    verifier: jwt.PyJWK

    @property
    def kid(self) -> str:
        return self.record.kid

    @property
    def algorithm(self) -> str:
        return self.record.algorithm

    @classmethod
    def load(cls, directory: Path, record: KeyRecord) -> SiteKey:
        path = _key_path(directory, record.kid)
        try:
            private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as e:
            raise ImproperlyConfigured(
                f"Cannot load the JWT key {path}: {e}. Restore it, or rotate to a new key "
                "with `python manage.py jwt_rotate_keys`."
            ) from e
        algorithm = get_default_algorithms()[record.algorithm]
        jwk = {
            **algorithm.to_jwk(private_key.public_key(), as_dict=True),
            "kid": record.kid,
            "use": "sig",
            "alg": record.algorithm,
        }
        return cls(record=record, private_key=private_key, jwk=jwk, verifier=jwt.PyJWK(jwk))  # type: ignore[arg-type]


@dataclass(frozen=True)
class KeySet:
    """The keys that verify (one of which signs), and the kids retired."""

    keys: dict[str, SiteKey]
    signing_kid: str
    retired: frozenset[str]

    @functools.cached_property
    def algorithms(self) -> frozenset[str]:
        """Worked out once: every token's header is checked against them."""
        return frozenset(key.algorithm for key in self.keys.values())

    @property
    def signing_key(self) -> SiteKey:
        return self.keys[self.signing_kid]

    def verifying_key(self, kid: object, *, now: datetime) -> SiteKey:
        """The key ``kid`` names; raises when it names none of ours or a retired one."""
        if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
            raise UnknownSigningKey("The token names no key of this site.")
        key = self.keys.get(kid)
        if key is None and kid not in self.retired:
            raise UnknownSigningKey("The token names no key of this site.")
        if key is None or key.record.expired(now):
            raise RetiredSigningKey("The token's key has been retired.")
        return key

    def public_jwks(self, *, now: datetime) -> dict[str, list[dict[str, Any]]]:
        """The public halves of the keys that still verify, as a JWK Set (RFC 7517)."""
        return {"keys": [key.jwk for key in self.keys.values() if not key.record.expired(now)]}

    @classmethod
    def load(cls, directory: Path, state: KeyState, *, now: datetime) -> KeySet:
        """Every live key; a key past its retirement is dropped without being read."""
        live = [record for record in state.keys if not record.expired(now)]
        signing = [record for record in live if record.signing]
        if len(signing) != 1:
            raise ImproperlyConfigured(
                f"{directory / STATE_FILE} names {len(signing)} signing keys, not one: restore it "
                "from a backup, or make a new signing key with `python manage.py jwt_rotate_keys`."
            )
        return cls(
            keys={record.kid: SiteKey.load(directory, record) for record in live},
            signing_kid=signing[0].kid,
            retired=frozenset(state.retired) | {r.kid for r in state.keys if r.expired(now)},
        )


_cache_lock = threading.Lock()


@dataclass(frozen=True)
class _Cached:
    """A key set, the identity of the state file it came from, and when that was last checked."""

    stamp: tuple[int, int, int]
    checked_at: float
    keys: KeySet


# Per keys directory, as the setting names it.
_cache: dict[Path | str, _Cached] = {}


def _state_stamp(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the state file is replaced (a new inode) or rewritten."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def key_set(*, recheck: bool = False) -> KeySet:
    """
    The site's keys, from memory unless ``keys.json`` has changed since they
    were read; it is looked at once every ``STATE_RECHECK_SECONDS``, or now
    with ``recheck``. Outside production (``ACCOUNTS_JWT_DEVELOPMENT_KEYS``),
    a directory with no keys gets a development key on first use.
    """
    name = settings.ACCOUNTS_JWT_KEYS_DIR
    cached = _cache.get(name)
    now = time.monotonic()
    if cached is not None and not recheck and now - cached.checked_at < STATE_RECHECK_SECONDS:
        return cached.keys
    directory = Path(name)
    state_path = directory / STATE_FILE
    stamp = _state_stamp(state_path)
    if cached is not None and cached.stamp == stamp:
        _cache[name] = replace(cached, checked_at=now)
        return cached.keys
    with _cache_lock:
        if stamp is None:
            if not settings.ACCOUNTS_JWT_DEVELOPMENT_KEYS:
                raise ImproperlyConfigured(
                    f"No JWT signing key in {directory}: create the first with "
                    "`python manage.py jwt_rotate_keys --initial`."
                )
            _development_keys_create(directory)
            stamp = _state_stamp(state_path)
        loaded = KeySet.load(directory, key_state_read(directory=directory), now=timezone.now())
        if stamp is not None:
            _cache[name] = _Cached(stamp=stamp, checked_at=now, keys=loaded)
    return loaded


def unverified_header(token: str | bytes) -> Mapping[str, Any]:
    """
    A token's JOSE header, read to find its key before anything is verified.
    Only the first segment is decoded: PyJWT's ``get_unverified_header``
    decodes all three, and the decode that follows reads them all again.
    Whatever this lets through, that decode checks in full.
    """
    raw = token.encode() if isinstance(token, str) else token
    # As PyJWT does first: a token of fewer than three segments is no token.
    if raw.count(b".") < 2:
        raise jwt.DecodeError("Not enough segments")
    segment = raw.partition(b".")[0]
    if len(segment) > _HEADER_CACHED_LENGTH:
        return _parse_header(segment)
    return _parse_known_header(segment)


# Every token a key signs carries the same header segment, so a process sees
# a handful of them: each is parsed once. The cache is bounded in entries and
# in length; headers someone invents only push others out, and are parsed as
# before. A header that is refused raises, and is never cached.
_HEADER_CACHED_LENGTH = 512


def _parse_header(segment: bytes) -> Mapping[str, Any]:
    try:
        header = json.loads(base64url_decode(segment))
    except (ValueError, TypeError, RecursionError) as e:
        # RecursionError: JSON nested deeper than the interpreter recurses, as PyJWT catches it.
        raise jwt.DecodeError("Invalid header") from e
    if not isinstance(header, dict):
        raise jwt.DecodeError("Invalid header string: must be a json object")
    if "kid" in header and not isinstance(header["kid"], str):
        # As PyJWT refuses it: before any key is looked up.
        raise jwt.InvalidTokenError("Key ID header parameter must be a string")
    # One parsed header answers every token that carries it: read-only at the
    # top level, where the key lookup reads alg and kid (nested values are not copied).
    return MappingProxyType(header)


_parse_known_header = functools.lru_cache(maxsize=64)(_parse_header)


# ------------------------------------------------------------------ signing and verifying
class KeySetTokenBackend(TokenBackend):
    """
    SimpleJWT's backend, signing with the key set's signing key (its ``kid``
    in the header) and verifying with the key the token's ``kid`` names,
    under that key's own algorithm. An old key of another algorithm keeps
    verifying after ``ALGORITHM`` changes, so switching algorithms is a
    rotation like any other.
    """

    def encode(self, payload: dict[str, Any]) -> str:
        claims = payload.copy()
        if self.audience is not None:
            claims["aud"] = self.audience
        if self.issuer is not None:
            claims["iss"] = self.issuer
        return _sign_with_key_set(claims, headers=None, json_encoder=self.json_encoder)

    def get_verifying_key(self, token: Any) -> jwt.PyJWK:
        header = unverified_header(token)
        keys = key_set()
        kid = header.get("kid")
        if isinstance(kid, str) and kid not in keys.keys:
            # Perhaps signed by a key another process made since this one last looked.
            keys = key_set(recheck=True)
        # Before the kid: alg none and HMAC with a public key are refused as algorithms.
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in keys.algorithms:
            raise jwt.InvalidAlgorithmError("The specified alg value is not allowed")
        return keys.verifying_key(header.get("kid"), now=timezone.now()).verifier

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        # SimpleJWT's decode, except that the algorithm comes with the key.
        try:
            return jwt.decode(
                token,
                self.get_verifying_key(token) if verify else "",
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.get_leeway(),
                options={"verify_aud": self.audience is not None, "verify_signature": verify},
            )
        except jwt.InvalidAlgorithmError as e:
            raise TokenBackendError(_("Invalid algorithm specified")) from e
        except jwt.ExpiredSignatureError as e:
            raise TokenBackendExpiredToken(_("Token is expired")) from e
        except jwt.InvalidTokenError as e:
            raise TokenBackendError(_("Token is invalid")) from e


def _sign_with_key_set(
    claims: dict[str, Any],
    *,
    headers: dict[str, Any] | None,
    json_encoder: type[json.JSONEncoder] | None = None,
) -> str:
    key = key_set().signing_key
    return jwt.encode(
        claims,
        key.private_key,
        algorithm=key.algorithm,
        headers={**(headers or {}), "kid": key.kid},
        json_encoder=json_encoder,
    )


# The backend and the SimpleJWT settings object it was built from.
_backend: tuple[object, TokenBackend] | None = None


def token_backend() -> TokenBackend:
    """
    The backend for the current ``SIMPLE_JWT`` settings, rebuilt when they
    change: SimpleJWT's own ``state.token_backend`` is built once at import
    and would keep the algorithm of the settings it first saw. ``JWK_URL``
    is never passed: keys come from this site's own set, not from a URL.
    """
    global _backend
    jwt_settings = simplejwt_settings.api_settings
    if _backend is None or _backend[0] is not jwt_settings:
        backend_class = TokenBackend if is_symmetric(jwt_settings.ALGORITHM) else KeySetTokenBackend
        _backend = (
            jwt_settings,
            backend_class(
                jwt_settings.ALGORITHM,
                jwt_settings.SIGNING_KEY,
                jwt_settings.VERIFYING_KEY,
                jwt_settings.AUDIENCE,
                jwt_settings.ISSUER,
                None,
                jwt_settings.LEEWAY,
                jwt_settings.JSON_ENCODER,
            ),
        )
    return _backend[1]


def token_sign(claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
    """``claims`` signed exactly as given (no issuer or audience added), as the site signs."""
    jwt_settings = simplejwt_settings.api_settings
    if is_symmetric(jwt_settings.ALGORITHM):
        return jwt.encode(
            claims, jwt_settings.SIGNING_KEY, algorithm=jwt_settings.ALGORITHM, headers=headers
        )
    return _sign_with_key_set(claims, headers=headers)


def public_jwks() -> dict[str, list[dict[str, Any]]]:
    """What ``/.well-known/jwks.json`` serves; an empty set when the key is a shared secret."""
    if is_symmetric(simplejwt_settings.api_settings.ALGORITHM):
        return {"keys": []}
    return key_set().public_jwks(now=timezone.now())
