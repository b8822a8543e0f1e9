"""
Where the second service (``remote/``) sends the measurements of its
requests, since it has no access to this site's database.

A machine endpoint: a POST of JSON, authenticated by the key both were given
(``COMPARISON_INGEST_KEY``, compared in constant time), answered in JSON, and
off when no key is set. A batch is taken whole or refused whole, and refused
if anything in it is out of bounds: at most ``COMPARISON_INGEST_MAX_BATCH``
samples, only for the lanes the second service serves, every number within
the range a real request could give, timestamps from the recent past. The
refusal codes it reports become outcomes here, through the one map there is
(``accounts.outcomes.OUTCOME_BY_CODE``). With the key, the most a caller can
do is add plausible samples to those two lanes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.lanes import remote_lanes
from accounts.outcomes import OUTCOME_BY_CODE, Outcome
from comparison.models import RecorderDrop
from comparison.probe import AuthCost
from comparison.recorder import recorder

INGEST_KEY_HEADER = "X-Comparison-Ingest-Key"
# How far back a sample may be dated: what a sender that was cut off for a while still holds.
OLDEST_SAMPLE = timedelta(hours=1)
NEWEST_SAMPLE = timedelta(seconds=60)
# An accepted token's expiry: not long before its request, and not years ahead.
EXPIRY_BEFORE_SAMPLE = timedelta(days=1)
LATEST_EXPIRY = timedelta(days=366)
CODE = re.compile(r"[a-z_]{0,40}")
CREDENTIAL_ID = re.compile(r"[0-9a-f]{0,16}")


class BadBatchError(ValueError):
    """The batch, or a sample in it, is not what the second service sends."""


@dataclass(frozen=True)
class IngestedSample:
    at: datetime
    path: str
    status: int
    cost: AuthCost
    # The accepted token's exp claim (seconds since the epoch); None for a refusal.
    expiry: float | None = None


def _number(sample: dict[str, Any], name: str, *, low: float, high: float) -> float:
    value = sample.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadBatchError(f"{name} must be a number")
    if not low <= value <= high:
        raise BadBatchError(f"{name} must be between {low} and {high}")
    return float(value)


def _text(sample: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = sample.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise BadBatchError(f"{name} is not in the expected form")
    return value


def sample_from_json(sample: Any, *, now: datetime) -> IngestedSample:
    """One sample, checked field by field; ``BadBatchError`` says which field is wrong."""
    if not isinstance(sample, dict):
        raise BadBatchError("each sample must be an object")
    lanes = {lane.name: lane for lane in remote_lanes()}
    lane = lanes.get(sample.get("lane"))  # type: ignore[arg-type]
    if lane is None:
        raise BadBatchError(f"lane must be one of {', '.join(lanes)}")
    path = sample.get("path")
    if path not in {lane.path, lane.role_path}:
        raise BadBatchError(f"path must be one of the lane's own: {lane.path}, {lane.role_path}")
    at = datetime.fromtimestamp(
        _number(
            sample,
            "at",
            low=(now - OLDEST_SAMPLE).timestamp(),
            high=(now + NEWEST_SAMPLE).timestamp(),
        ),
        tz=UTC,
    )
    code = _text(sample, "code", CODE)
    user_id = sample.get("user_id")
    if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int)):
        raise BadBatchError("user_id must be an integer or null")
    expiry = (
        _number(
            sample,
            "credential_expires_at",
            low=(at - EXPIRY_BEFORE_SAMPLE).timestamp(),
            high=(now + LATEST_EXPIRY).timestamp(),
        )
        # Older senders leave it out; a refusal has no credential to bound.
        if sample.get("credential_expires_at") is not None
        else None
    )
    return IngestedSample(
        at=at,
        path=path,
        status=int(_number(sample, "status", low=100, high=599)),
        expiry=expiry if code == "" else None,
        cost=AuthCost(
            lane=lane.name,
            credential_bytes=int(_number(sample, "credential_bytes", low=0, high=65_536)),
            credential_id=_text(sample, "credential_id", CREDENTIAL_ID),
            outcome=OUTCOME_BY_CODE.get(code, Outcome.MALFORMED) if code else Outcome.ACCEPTED,
            user_id=user_id if code == "" else None,
            auth_us=_number(sample, "auth_us", low=0, high=60_000_000),
            redis_round_trips=int(_number(sample, "redis_round_trips", low=0, high=100)),
            # The second service has no database to query.
            db_queries=0,
        ),
    )


def batch_from_json(body: bytes, *, now: datetime) -> tuple[list[IngestedSample], int]:
    """The samples of one batch, and the count the sender had to drop."""
    try:
        data = json.loads(body)
    # Python's decoder recurses per level: "[[[[…" deep enough raises RecursionError.
    except (ValueError, RecursionError) as e:
        raise BadBatchError("the body must be JSON") from e
    if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
        raise BadBatchError('the body must be {"samples": [...], "dropped": n}')
    if len(data["samples"]) > settings.COMPARISON_INGEST_MAX_BATCH:
        raise BadBatchError(f"at most {settings.COMPARISON_INGEST_MAX_BATCH} samples per batch")
    dropped = int(_number(data, "dropped", low=0, high=10**9)) if "dropped" in data else 0
    return [sample_from_json(sample, now=now) for sample in data["samples"]], dropped


def _refusal(status: HTTPStatus, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


# Authenticated by a key in a header, never by a cookie: no browser can be made to send it.
@csrf_exempt
@require_POST
def ingest(request: HttpRequest) -> JsonResponse:
    key = settings.COMPARISON_INGEST_KEY
    if not key:
        return _refusal(HTTPStatus.NOT_FOUND, "ingest_off", "Ingest is off: no key is set.")
    if not constant_time_compare(request.headers.get(INGEST_KEY_HEADER, ""), key):
        return _refusal(HTTPStatus.FORBIDDEN, "ingest_key_wrong", "Wrong or missing ingest key.")
    try:
        samples, dropped = batch_from_json(request.body, now=timezone.now())
    except BadBatchError as e:
        return _refusal(HTTPStatus.BAD_REQUEST, "bad_batch", str(e))
    if not settings.COMPARISON_RECORDING:
        return JsonResponse({"stored": 0})
    for sample in samples:
        recorder.record_measured(
            at=sample.at,
            path=sample.path,
            status=sample.status,
            cost=sample.cost,
            expiry=sample.expiry,
        )
    if dropped:
        RecorderDrop.objects.create(samples=dropped, reason="dropped by the second service")
    return JsonResponse({"stored": len(samples)})
