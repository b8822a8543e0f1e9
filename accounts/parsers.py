"""The API's JSON parser: DRF's, refusing documents nested too deep to decode safely."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

# Strings first, so that brackets inside them are not counted.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` opens more than ``limit`` arrays or objects inside each other."""
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


class BoundedJSONParser(JSONParser):
    """
    DRF's JSON parser, with a bound on nesting checked before decoding.

    Python's decoder recurses once per level, so ``[[[[…`` 100,000 deep raised
    RecursionError, which no handler expects: a 500. No request this API
    takes is more than a few levels deep.
    """

    max_depth = 32

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise ParseError(f"JSON parse error - {e}") from e
        if nested_deeper_than(text, self.max_depth):
            raise ParseError(
                f"JSON parse error - nested deeper than {self.max_depth} levels",
                code="json_too_deep",
            )
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as e:
            raise ParseError(f"JSON parse error - {e}") from e
