"""gunicorn's settings for this site: ``gunicorn --config python:config.gunicorn config.wsgi``."""

from __future__ import annotations

from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    """A worker that stops stores the samples it still holds: a graceful stop loses none."""
    # Imported here: this module is read before the worker loads Django.
    from comparison.recorder import recorder

    recorder.shutdown()
