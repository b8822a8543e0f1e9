"""
What every launcher in tools/ needs from its child processes, written once: a
free loopback port, waiting until a child answers (or has died), stopping it,
and the command that serves the site (or the second service) under gunicorn.
"""

from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_loopback_port(*, exclude: frozenset[int] = frozenset()) -> int:
    """
    A loopback port nothing is bound to, from below the kernel's ephemeral
    range. The port is only free when chosen: the server we start binds it a
    moment later. A port from the ephemeral range (what ``bind(0)`` hands out)
    can be taken in that moment by any outgoing connection on the machine, and
    a server that cannot bind exits; a port below the range is only ever taken
    by a bind that names it. ``exclude``: ports handed out but not bound yet.
    """
    ceiling = ephemeral_port_floor()
    floor = max(1024, ceiling - 16384)
    for _ in range(100 if ceiling > floor else 0):
        port = floor + secrets.randbelow(ceiling - floor)
        if port in exclude:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    # No room below the range on this machine: take one from it, as bind(0) does.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ephemeral_port_floor() -> int:
    """Where the ports the kernel hands to outgoing connections begin (Linux; else its default)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def loopback_listener(port: int = 0) -> socket.socket:
    """
    A loopback socket already listening (on ``port``, or one the kernel picks),
    for a child to serve on: gunicorn takes it as ``--bind fd://N`` through
    ``pass_fds``. The port is held from the moment it is chosen, so another
    process on a busy machine cannot take it before the child binds, as it can
    between ``free_loopback_port`` and the child's own bind.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(
    check: Callable[[], object],
    what: str,
    *,
    process: subprocess.Popen | None = None,
    timeout: float = 30.0,
    errors: tuple[type[BaseException], ...] = (),
) -> None:
    """
    Poll ``check`` until it returns something true; ``errors`` (and OSError)
    mean "not yet". A ``process`` that has exited will never answer, so the
    wait ends there with its exit code instead of running out the timeout.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if check():
                return
        except (OSError, *errors):  # type: ignore[misc]  # a tuple of classes built at run time
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout}s")


def wait_for_port(
    port: int, what: str, *, process: subprocess.Popen | None = None, timeout: float = 30.0
) -> None:
    wait_until(lambda: listening(port), f"{what} on port {port}", process=process, timeout=timeout)


def end_process(
    process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 10.0
) -> None:
    """Signal ``process`` and wait for it; kill it if it is still there after ``timeout``."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gunicorn_command(
    *,
    port: int | None = None,
    fd: int | None = None,
    workers: int,
    options: Sequence[str] = (),
    app: str = "config.wsgi",
) -> list[str]:
    """
    The site (or ``app``: ``remote.wsgi``, the second service) under this
    interpreter's gunicorn on loopback, on ``port`` or on the inherited
    socket ``fd`` (``loopback_listener``); run it from ``REPO_ROOT``.
    """
    # The site's workers store their queued samples when gunicorn stops them.
    site_config = ("--config", "python:config.gunicorn") if app == "config.wsgi" else ()
    return [
        sys.executable, "-m", "gunicorn", app, *site_config,
        "--bind", f"fd://{fd}" if fd is not None else f"127.0.0.1:{port}",
        "--workers", str(workers),
        *options,
    ]  # fmt: skip
