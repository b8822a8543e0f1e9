"""The token checks that run before any signature is verified."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from jwt.utils import base64url_decode, base64url_encode

from accounts.tokens import is_canonical

BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def spelt_once(segment: str) -> bool:
    """The definition: a segment is canonical when decoding and encoding it again gives it back."""
    if len(segment) % 4 == 1:
        return False
    return base64url_encode(base64url_decode(segment)).decode() == segment


@given(st.lists(st.text(alphabet=BASE64URL_ALPHABET, max_size=12), min_size=1, max_size=3))
def test_non_canonical_encoding_check_agrees_with_the_round_trip(segments: list[str]) -> None:
    assert is_canonical(".".join(segments)) == all(spelt_once(s) for s in segments)


@given(st.binary(max_size=40))
def test_non_canonical_encoding_check_accepts_every_encoding_and_no_respelling(
    data: bytes,
) -> None:
    segment = base64url_encode(data).decode()
    respelt = {
        segment[:-1] + other
        for other in BASE64URL_ALPHABET
        if segment and other != segment[-1] and len(segment) % 4
    }

    second_spellings = [s for s in respelt if base64url_decode(s) == data]

    assert is_canonical(segment)
    assert not any(is_canonical(s) for s in second_spellings)
    # With 4 or 2 spare bits there are 15 or 3 other spellings of the same bytes.
    assert len(second_spellings) == {0: 0, 2: 15, 3: 3}[len(segment) % 4]
