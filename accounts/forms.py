"""What the site's forms (and its cookies) may send as a row id."""

from __future__ import annotations

import re

# ASCII digits only: str.isdigit() and int() also take "²", "٣" and "1_000".
# Eighteen of them stay below 2**63, the largest id any supported database stores.
ROW_ID = re.compile(r"[0-9]{1,18}")


def parse_row_id(value: object) -> int | None:
    """``value`` as a row id, or None when it is not one."""
    if isinstance(value, str) and ROW_ID.fullmatch(value):
        return int(value)
    return None
