"""
The second service (``remote/``) beside the site, for ``make run``, ``make
role-drill``, the cluster and the tests.

    python -m tools.remote_service --site-port 8000 -- COMMAND [ARG ...]
    python -m tools.remote_service --serve-site -- COMMAND [ARG ...]

The first starts the service under gunicorn on ``REMOTE_PORT`` (else the
site's port + 1), pointed at the site that COMMAND serves on ``--site-port``,
then runs COMMAND. The second first starts the site itself under gunicorn on
a free port (for its public keys and its ingest endpoint), for a COMMAND that
serves nothing, such as the role drill. Either way the site and the service
share one ingest key (``COMPARISON_INGEST_KEY``, made for this run unless
set), COMMAND gets ``REMOTE_URL``, and everything started here stops when
COMMAND ends. With ``REDIS_URL`` set, the service reads the site's
revocation markers there, and so serves its denylist lane too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from functools import partial
from pathlib import Path

from tools.processes import (
    REPO_ROOT,
    end_process,
    gunicorn_command,
    loopback_listener,
    wait_until,
)

# The site's default key prefix of its revocation cache (config/settings.py).
SITE_REVOCATION_KEY_PREFIX = "svj:revocation"


def remote_env(
    *,
    site_url: str,
    ingest_key: str,
    redis_url: str = "",
    key_prefix: str = SITE_REVOCATION_KEY_PREFIX,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The service's environment: the site's address, and read access to its markers if given."""
    return {
        **os.environ,
        # Not the site's, whatever the environment says: the service has its own.
        "DJANGO_SETTINGS_MODULE": "remote.settings",
        "REMOTE_SITE_URL": site_url,
        "COMPARISON_INGEST_KEY": ingest_key,
        "REMOTE_REVOCATION_REDIS_URL": redis_url,
        "REMOTE_REVOCATION_KEY_PREFIX": key_prefix,
        **(extra or {}),
    }


@contextmanager
def serving(
    app: str, *, port: int, env: dict[str, str], workers: int, what: str, log: Path | None
) -> Iterator[str]:
    """``app`` under gunicorn on ``port`` (0: any free one) until the block ends; its URL."""
    listener = loopback_listener(port)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    command = gunicorn_command(
        fd=listener.fileno(), workers=workers, options=("--log-level", "warning"), app=app
    )
    with listener, open(log or os.devnull, "ab") as output:  # noqa: PTH123
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output if log else None,
            stderr=output if log else None,
            pass_fds=[listener.fileno()],
        )
    try:
        wait_until(partial(_answers, url), what, process=process)
        yield url
    finally:
        end_process(process)


def _answers(url: str) -> bool:
    """Whether anything at ``url`` answers HTTP at all (any status will do)."""
    try:
        with urllib.request.urlopen(f"{url}/", timeout=1):  # noqa: S310 - loopback
            return True
    except urllib.error.HTTPError:
        return True


def remote_service(
    *, port: int = 0, env: dict[str, str], workers: int = 1, log: Path | None = None
) -> AbstractContextManager[str]:
    """The second service under gunicorn on ``port`` (0: any free one)."""
    return serving(
        "remote.wsgi", port=port, env=env, workers=workers, what="the second service", log=log
    )


def site_service(
    *, port: int = 0, env: dict[str, str], workers: int = 1, log: Path | None = None
) -> AbstractContextManager[str]:
    """The site under gunicorn on ``port`` (0: any free one)."""
    return serving("config.wsgi", port=port, env=env, workers=workers, what="the site", log=log)


def run_beside(
    command: Sequence[str], *, site_port: int | None, remote_port: int | None, serve_site: bool
) -> int:
    ingest_key = os.environ.get("COMPARISON_INGEST_KEY") or secrets.token_urlsafe(32)
    site_env = {**os.environ, "COMPARISON_INGEST_KEY": ingest_key}
    with ExitStack() as stack:
        if serve_site:
            site_url = stack.enter_context(site_service(env=site_env))
        elif site_port is not None:
            site_url = f"http://127.0.0.1:{site_port}"
            remote_port = remote_port or int(os.environ.get("REMOTE_PORT") or site_port + 1)
        else:
            raise SystemExit("Give --site-port (where COMMAND serves the site) or --serve-site.")
        env = remote_env(
            site_url=site_url,
            ingest_key=ingest_key,
            redis_url=os.environ.get("REDIS_URL", ""),
        )
        remote_url = stack.enter_context(remote_service(port=remote_port or 0, env=env))
        print(f"Second service on {remote_url}, verifying with the site's public keys", flush=True)  # noqa: T201
        child = subprocess.Popen(  # noqa: S603
            list(command), env={**site_env, "REMOTE_URL": remote_url}
        )
        # Ctrl-C reaches the child through the terminal; we only wait for it to finish.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.remote_service")
    parser.add_argument("--site-port", type=int, help="the port COMMAND serves the site on")
    parser.add_argument("--port", type=int, help="the service's port (default: REMOTE_PORT)")
    parser.add_argument(
        "--serve-site",
        action="store_true",
        help="start the site too, for a COMMAND that serves nothing",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("give the COMMAND to run beside the service, after --")
    return run_beside(
        command,
        site_port=options.site_port,
        remote_port=options.port,
        serve_site=options.serve_site,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
