"""The algorithm comparison: its statistics and what it reports, never how fast anything was."""

import pytest

from tools.bench_algorithms import (
    AA,
    ALGORITHMS,
    BASELINE,
    RS256_3072,
    compare_algorithms,
    format_comparison,
    median_interval,
)


def test_the_median_interval_of_21_values_runs_from_the_6th_to_the_16th() -> None:
    interval = median_interval([float(value) for value in range(21, 0, -1)])

    assert (interval.median, interval.low, interval.high) == (11.0, 6.0, 16.0)


def test_under_six_values_the_interval_is_the_whole_range() -> None:
    interval = median_interval([3.0, 1.0, 2.0, 5.0])

    assert (interval.median, interval.low, interval.high) == (2.5, 1.0, 5.0)


@pytest.fixture(scope="module")
def comparison():
    return compare_algorithms(issuer="iss", audience="aud", rounds=3, batch_seconds=0.001)


def test_every_algorithm_is_measured_in_the_same_run(comparison) -> None:
    assert [figures.algorithm for figures in comparison.figures] == list(ALGORITHMS)
    assert comparison.rounds == 3


def test_token_and_signature_sizes_are_those_of_each_algorithm(comparison) -> None:
    sizes = {f.algorithm: f.signature_bytes for f in comparison.figures}
    tokens = {
        f.algorithm: (f.access_token_bytes, f.refresh_token_bytes) for f in comparison.figures
    }

    assert sizes == {
        BASELINE: 32,
        AA: 32,
        "EdDSA": 64,
        "ES256": 64,
        "RS256": 256,
        RS256_3072: 384,
    }
    assert tokens[BASELINE] == tokens[AA]
    # The same claims: only the header's kid and the signature differ.
    assert tokens["EdDSA"] == tokens["ES256"]
    assert tokens["RS256"][0] - tokens["EdDSA"][0] == 342 - 86


def test_ratios_are_to_hs256_which_is_one_against_itself(comparison) -> None:
    baseline = comparison.figures[0]

    assert (baseline.sign_vs_baseline.median, baseline.verify_vs_baseline.median) == (1.0, 1.0)
    assert set(comparison.as_dict()["figures"][0]) >= {"sign_us", "verify_us", "access_token_bytes"}


def test_the_table_has_a_row_per_algorithm(comparison) -> None:
    lines = format_comparison(comparison).splitlines()

    assert [line.split()[0] for line in lines[2:]] == [
        "HS256",
        "HS256",
        "EdDSA",
        "ES256",
        "RS256",
        RS256_3072,
    ]
