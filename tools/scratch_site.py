"""
The site as the benchmark and the soak drive it: under gunicorn on a free
loopback port, on a scratch SQLite database (migrated, gone afterwards) and
the configured Redis.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from comparison.sources import Source
from tools.processes import (
    REPO_ROOT,
    end_process,
    free_loopback_port,
    gunicorn_command,
    wait_for_port,
)

BENCH_DB = "authbench"
PASSWORD = "authbench-password-0123"  # noqa: S105 - a throwaway user in a scratch database


@contextmanager
def scratch_database() -> Iterator[Path]:
    """A fresh SQLite database, migrated, registered as the ``authbench`` alias."""
    with tempfile.TemporaryDirectory(prefix="authbench-") as folder:
        path = Path(folder) / "bench.sqlite3"
        config = copy.deepcopy(connections.settings["default"])
        config.update(
            ENGINE="django.db.backends.sqlite3",
            NAME=str(path),
            OPTIONS=dict(settings.SQLITE_OPTIONS),
        )
        connections.settings[BENCH_DB] = config
        try:
            call_command("migrate", database=BENCH_DB, verbosity=0)
            yield path
        finally:
            connections[BENCH_DB].close()
            del connections.settings[BENCH_DB]


@dataclass(frozen=True)
class Served:
    url: str
    pid: int

    def worker_rss_kib(self) -> list[int]:
        """Resident memory of each gunicorn worker (the master's children), from /proc."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        sizes = []
        for child in children:
            status = Path(f"/proc/{child}/status").read_text()
            if match := re.search(r"VmRSS:\s+(\d+) kB", status):
                sizes.append(int(match.group(1)))
        return sizes


@contextmanager
def gunicorn(
    *,
    database: Path,
    recording: bool,
    workers: int,
    source: Source = Source.BENCH,
    environment: Mapping[str, str] | None = None,
) -> Iterator[Served]:
    """
    The site under gunicorn on a free loopback port; its samples are marked
    ``source``, and ``environment`` adds or overrides variables.
    """
    port = free_loopback_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "COMPARISON_RECORDING": "1" if recording else "0",
        "COMPARISON_SAMPLE_SOURCE": source,
        # Long enough that no token expires during the run.
        "JWT_ACCESS_LIFETIME_SECONDS": "7200",
        "DJANGO_LOG_LEVEL": "ERROR",
        **(environment or {}),
    }
    command = gunicorn_command(port=port, workers=workers, options=("--log-level", "warning"))
    process = subprocess.Popen(command, env=env, cwd=REPO_ROOT)  # noqa: S603
    try:
        wait_for_port(port, "gunicorn", process=process)
        yield Served(url=f"http://127.0.0.1:{port}", pid=process.pid)
    finally:
        end_process(process, timeout=30)
