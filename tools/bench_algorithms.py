"""
Sign cost, verify cost and token size of the JWT algorithms, side by side in one run.

``python -m tools.bench_algorithms`` prints the table; ``compare_algorithms()``
returns it, for ``authbench`` to put in its report.

Every round times a batch of signatures and a batch of verifications of each
algorithm, in a shuffled order, so that drift on the machine falls on all of
them alike. Reported per algorithm: the median time of one operation over
the rounds with a 95% interval for that median (distribution-free, from order
statistics), and its ratio to HS256 as the median of the per-round ratios,
with its interval. ``HS256 (A/A)`` is HS256 timed again as if it were another
algorithm: its ratio to HS256 is the noise, and a difference inside the noise
is no difference.

Keys are made as the site makes them (``accounts.keys.KEY_GENERATORS``),
verification goes through PyJWT with the key bound to its algorithm as the
site's does, and the tokens carry the claims and headers of the site's own
access and refresh tokens.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import jwt
from cryptography.hazmat.backends.openssl.backend import backend as openssl
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import get_default_algorithms

BASELINE = "HS256"
AA = "HS256 (A/A)"
RS256_3072 = "RS256-3072"
# The baseline, its A/A twin, every algorithm the site can make a key pair for, and RS256 with
# the 3072-bit key it needs to match the 128-bit strength of Ed25519 and P-256 (NIST SP 800-57).
ALGORITHMS = (BASELINE, AA, "EdDSA", "ES256", "RS256", RS256_3072)
# A fixed secret of the size the production checks ask for: HMAC cost barely depends on it.
HMAC_SECRET = "0123456789abcdef" * 4


@dataclass(frozen=True)
class Interval:
    """A median and the 95% interval around it."""

    median: float
    low: float
    high: float

    def __str__(self) -> str:
        digits = 3 if self.median < 10 else 1
        return f"{self.median:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


@dataclass(frozen=True)
class AlgorithmFigures:
    algorithm: str
    sign_us: Interval
    verify_us: Interval
    sign_vs_baseline: Interval
    verify_vs_baseline: Interval
    access_token_bytes: int
    refresh_token_bytes: int
    signature_bytes: int


@dataclass(frozen=True)
class AlgorithmComparison:
    rounds: int
    openssl: str
    figures: list[AlgorithmFigures]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median_interval(values: Sequence[float]) -> Interval:
    """
    The median with a distribution-free interval of at least 95%: the order
    statistics x(l) and x(n-l+1), l the largest rank with P(Binomial(n, ½) < l)
    at most 2.5%. Under six values no such rank exists; min and max are given.
    """
    ordered = sorted(values)
    n = len(ordered)
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    below, rank = 0.0, 0
    while below + math.comb(n, rank) / 2**n <= 0.025:
        below += math.comb(n, rank) / 2**n
        rank += 1
    if rank == 0:
        return Interval(median, ordered[0], ordered[-1])
    return Interval(median, ordered[rank - 1], ordered[n - rank])


@dataclass
class _Subject:
    """One algorithm under test: how it signs, how it verifies, and the tokens it made."""

    algorithm: str
    sign: Callable[[dict[str, Any]], str]
    verify: Callable[[str], object]
    access_token: str = ""
    refresh_token: str = ""


def _claims(kind: str, *, issuer: str, audience: str, lifetime: int) -> dict[str, Any]:
    """The claims the site puts in its tokens (accounts.serializers), for a typical user."""
    now = int(time.time())
    jti = uuid.uuid4().hex
    claims = {
        "token_type": kind,
        "exp": now + lifetime,
        "iat": now,
        "jti": jti,
        "user_id": "1042",
        "username": "demo",
        "iss": issuer,
        "aud": audience,
    }
    return {**claims, "family": jti} if kind == "refresh" else claims


def _subject(algorithm: str, *, issuer: str, audience: str) -> _Subject:
    if algorithm in (BASELINE, AA):
        return _Subject(
            algorithm,
            sign=lambda claims: jwt.encode(claims, HMAC_SECRET, algorithm=BASELINE),
            verify=lambda token: jwt.decode(
                token, HMAC_SECRET, algorithms=[BASELINE], audience=audience, issuer=issuer
            ),
        )
    # Imported here: the app needs Django set up, which the command line does first.
    from accounts.keys import KEY_GENERATORS, PrivateKey

    private_key: PrivateKey
    if algorithm == RS256_3072:
        jws_algorithm, private_key = "RS256", rsa.generate_private_key(65537, key_size=3072)
    else:
        jws_algorithm, private_key = algorithm, KEY_GENERATORS[algorithm]()
    kid = f"bench-{algorithm.lower()}"
    public = get_default_algorithms()[jws_algorithm].to_jwk(private_key.public_key(), as_dict=True)
    verifier = jwt.PyJWK({**public, "kid": kid, "alg": jws_algorithm, "use": "sig"})
    return _Subject(
        algorithm,
        sign=lambda claims: jwt.encode(
            claims, private_key, algorithm=jws_algorithm, headers={"kid": kid}
        ),
        verify=lambda token: jwt.decode(token, verifier, audience=audience, issuer=issuer),
    )


def _batch_size(operation: Callable[[], object], batch_seconds: float) -> int:
    """How many calls take about ``batch_seconds``, found from a short warm-up."""
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < batch_seconds / 2 or calls < 3:
        operation()
        calls += 1
    return max(3, round(calls * batch_seconds / elapsed))


def _time_us(operation: Callable[[], object], calls: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(calls):
        operation()
    return (time.perf_counter_ns() - started) / calls / 1000


def compare_algorithms(
    *,
    issuer: str,
    audience: str,
    access_lifetime: int = 300,
    refresh_lifetime: int = 86400,
    algorithms: Sequence[str] = ALGORITHMS,
    rounds: int = 21,
    batch_seconds: float = 0.02,
    seed: int = 7,
) -> AlgorithmComparison:
    """Sign and verify cost and token sizes of ``algorithms``, in interleaved rounds."""
    if BASELINE not in algorithms:
        raise ValueError(f"The ratios are to {BASELINE}, which must be among the algorithms.")
    shuffle = random.Random(seed).shuffle  # noqa: S311 - a reproducible order, not a secret
    access = _claims("access", issuer=issuer, audience=audience, lifetime=access_lifetime)
    refresh = _claims("refresh", issuer=issuer, audience=audience, lifetime=refresh_lifetime)
    subjects = [_subject(name, issuer=issuer, audience=audience) for name in algorithms]
    steps: list[tuple[str, str, Callable[[], object], int]] = []
    for subject in subjects:
        subject.access_token = subject.sign(access)
        subject.refresh_token = subject.sign(refresh)
        token = subject.access_token
        sign = lambda s=subject: s.sign(access)  # noqa: E731
        verify = lambda s=subject, t=token: s.verify(t)  # noqa: E731
        steps.append((subject.algorithm, "sign", sign, _batch_size(sign, batch_seconds)))
        steps.append((subject.algorithm, "verify", verify, _batch_size(verify, batch_seconds)))

    timings: dict[tuple[str, str], list[float]] = {(name, op): [] for name, op, _, _ in steps}
    for _ in range(rounds):
        shuffle(steps)
        for name, op, operation, calls in steps:
            timings[name, op].append(_time_us(operation, calls))

    def ratio(name: str, op: str) -> Interval:
        pairs = zip(timings[name, op], timings[BASELINE, op], strict=True)
        return median_interval([mine / baseline for mine, baseline in pairs])

    return AlgorithmComparison(
        rounds=rounds,
        openssl=openssl.openssl_version_text(),
        figures=[
            AlgorithmFigures(
                algorithm=subject.algorithm,
                sign_us=median_interval(timings[subject.algorithm, "sign"]),
                verify_us=median_interval(timings[subject.algorithm, "verify"]),
                sign_vs_baseline=ratio(subject.algorithm, "sign"),
                verify_vs_baseline=ratio(subject.algorithm, "verify"),
                access_token_bytes=len(subject.access_token),
                refresh_token_bytes=len(subject.refresh_token),
                signature_bytes=len(
                    jwt.api_jws.base64url_decode(subject.access_token.split(".")[2])
                ),
            )
            for subject in subjects
        ],
    )


def format_comparison(comparison: AlgorithmComparison) -> str:
    header = (
        f"{'algorithm':<12} {'sign µs [95%]':<24} {'verify µs [95%]':<24} "
        f"{'sign / HS256':<22} {'verify / HS256':<22} {'access B':>8} {'refresh B':>9} {'sig B':>5}"
    )
    lines = [
        f"JWT algorithms: {comparison.rounds} interleaved rounds, medians per operation with "
        f"95% intervals ({comparison.openssl})",
        header,
    ]
    for f in comparison.figures:
        lines.append(
            f"{f.algorithm:<12} {f.sign_us!s:<24} {f.verify_us!s:<24} "
            f"{f.sign_vs_baseline!s:<22} {f.verify_vs_baseline!s:<22} "
            f"{f.access_token_bytes:>8} {f.refresh_token_bytes:>9} {f.signature_bytes:>5}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--batch-ms", type=float, default=20.0, help="time per timed batch")
    parser.add_argument("--seed", type=int, default=7, help="the shuffled order of the rounds")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from rest_framework_simplejwt.settings import api_settings

    comparison = compare_algorithms(
        issuer=api_settings.ISSUER,
        audience=api_settings.AUDIENCE,
        access_lifetime=int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        refresh_lifetime=int(api_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        rounds=args.rounds,
        batch_seconds=args.batch_ms / 1000,
        seed=args.seed,
    )
    print(format_comparison(comparison))  # noqa: T201


if __name__ == "__main__":
    main()
