"""A few seconds of the soak, run as a person would; the real run is `make soak`."""

import os
import subprocess
import sys

from django.conf import settings


def test_a_short_soak_has_no_5xx_and_honours_every_revocation(redis_server, tmp_path) -> None:
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }

    command = [sys.executable, "manage.py", "soak", "--seconds=3", "--concurrency=2"]
    command += ["--revoke-every=1", "--workers=1"]

    result = subprocess.run(  # noqa: S603
        command,
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert '"server_errors": 0' in result.stdout
    assert "revocations honoured." in result.stdout
