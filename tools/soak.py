"""
The soak behind ``manage.py soak``: every lane under steady, bounded load for a
bounded time, with logins, refreshes and admin revocations mixed in.

The site runs under gunicorn on loopback (scratch database, configured Redis).
``concurrency`` virtual users sign in on both areas and cycle through every
lane, rotating their refresh tokens as they go; one more thread keeps signing
victims in, revoking them through the admin's own action, and checking that
each of their credentials is refused afterwards. Reports requests by status,
5xx (must be 0), transport failures, revocations honoured (must be all), and
the workers' resident memory at start and end.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

from accounts import lanes
from accounts.lanes import Credential, site_lanes
from accounts.models import User
from comparison.sources import Source
from tools.scratch_site import BENCH_DB, PASSWORD, gunicorn, scratch_database
from tools.site_client import Answer, SiteClient

# The lanes a virtual user can reach with what it holds: a session cookie and a bearer token.
SOAKED = tuple(
    lane
    for lane in site_lanes()
    if lane.credential in {Credential.SESSION_COOKIE, Credential.BEARER}
)
REFRESH_EVERY = 5


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    revocations: int = 0
    revocations_honoured: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, answer: Answer) -> Answer:
        with self.lock:
            self.statuses[answer.status] += 1
        return answer

    def failed(self) -> None:
        with self.lock:
            self.transport_errors += 1


def _bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


def _virtual_user(base: str, username: str, deadline: float, tally: Tally) -> None:
    while time.monotonic() < deadline:
        client = SiteClient(base)
        try:
            tally.count(client.log_in("/session/login/", username, PASSWORD))
            pair = client.token_pair(username, PASSWORD)
            tally.count(Answer(200 if pair else 401, b""))
            for round_number in range(1, 4 * REFRESH_EVERY + 1):
                if time.monotonic() >= deadline or not pair:
                    break
                for lane in SOAKED:
                    headers = (
                        _bearer(pair["access"]) if lane.credential is Credential.BEARER else {}
                    )
                    tally.count(client.get(lane.path, headers=headers))
                if round_number % REFRESH_EVERY == 0:
                    answer = tally.count(
                        client.post("/api/jwt/token/refresh/", {"refresh": pair["refresh"]})
                    )
                    pair = answer.json() if answer.status == 200 else {}
        except OSError:
            tally.failed()


def _revoker(base: str, victims: list[User], deadline: float, every: float, tally: Tally) -> None:
    admin = SiteClient(base)
    admin.log_in("/admin/login/", "soak-admin", PASSWORD)
    for victim in victims:
        if time.monotonic() >= deadline:
            return
        try:
            client = SiteClient(base)
            tally.count(client.log_in("/session/login/", victim.username, PASSWORD))
            pair = client.token_pair(victim.username, PASSWORD)
            revoke = admin.form_post(
                "/admin/accounts/user/",
                {"action": "revoke_access", "_selected_action": [victim.pk], "index": 0},
            )
            tally.count(revoke)
            after = [
                tally.count(client.get(lanes.SESSION.path)).status,
                tally.count(client.get(lanes.SNAPSHOT.path)).status,
                tally.count(
                    client.get(lanes.DENYLIST.path, headers=_bearer(pair["access"]))
                ).status,
                tally.count(
                    client.post("/api/jwt/token/refresh/", {"refresh": pair["refresh"]})
                ).status,
            ]
            with tally.lock:
                tally.revocations += 1
                tally.revocations_honoured += after == [403, 403, 401, 401]
        except OSError:
            tally.failed()
        time.sleep(every)


def run_soak(
    *,
    seconds: float,
    concurrency: int,
    revoke_every: float,
    workers: int,
    progress: Callable[[str], None],
) -> dict:
    tally = Tally()
    with ExitStack() as stack:
        database = stack.enter_context(scratch_database())
        users = User.objects.db_manager(BENCH_DB)
        for number in range(concurrency):
            users.create_user(username=f"soak-{number}", password=PASSWORD)
        victims = [
            users.create_user(username=f"victim-{number}", password=PASSWORD)
            for number in range(int(seconds / revoke_every) + 1)
        ]
        users.create_superuser(username="soak-admin", password=PASSWORD)
        server = stack.enter_context(
            gunicorn(database=database, recording=True, workers=workers, source=Source.SOAK)
        )
        SiteClient(server.url).get("/api/ping/")
        memory_start = server.worker_rss_kib()
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=_virtual_user, args=(server.url, f"soak-{number}", deadline, tally)
            )
            for number in range(concurrency)
        ]
        threads.append(
            threading.Thread(
                target=_revoker, args=(server.url, victims, deadline, revoke_every, tally)
            )
        )
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            time.sleep(1)
            with tally.lock:
                done = sum(tally.statuses.values())
            progress(f"{done:7d} requests, {tally.revocations} revocations")
        memory_end = server.worker_rss_kib()
    return {
        "seconds": seconds,
        "concurrency": concurrency,
        "workers": workers,
        "requests": sum(tally.statuses.values()),
        "statuses": {str(code): count for code, count in sorted(tally.statuses.items())},
        "server_errors": sum(n for code, n in tally.statuses.items() if code >= 500),
        "transport_errors": tally.transport_errors,
        "revocations": tally.revocations,
        "revocations_honoured": tally.revocations_honoured,
        "worker_rss_kib_start": memory_start,
        "worker_rss_kib_end": memory_end,
    }
