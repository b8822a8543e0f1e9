import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comparison.management.preflight import require_redis
from tools.soak import run_soak


class Command(BaseCommand):
    help = (
        "Drive every lane under gunicorn with bounded concurrency for a bounded time, with "
        "logins, refreshes and admin revocations; fail unless there was no 5xx and every "
        "revocation was honoured."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=float, default=60)
        parser.add_argument("--concurrency", type=int, default=8)
        parser.add_argument("--revoke-every", type=float, default=2.0, help="seconds")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")

    def _progress(self, line: str) -> None:
        self.stdout.write(f"  {line}")
        self.stdout.flush()

    def handle(self, *args: object, **options: Any) -> None:
        require_redis(make_target="soak")
        report = run_soak(
            seconds=options["seconds"],
            concurrency=options["concurrency"],
            revoke_every=options["revoke_every"],
            workers=options["workers"],
            progress=self._progress,
        )
        self.stdout.write(json.dumps(report, indent=2))
        lost = report["server_errors"] + report["transport_errors"]
        if lost or report["revocations_honoured"] != report["revocations"]:
            raise CommandError(
                f"{report['server_errors']} 5xx, {report['transport_errors']} lost, "
                f"{report['revocations_honoured']}/{report['revocations']} revocations honoured"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report['requests']} requests, no 5xx, none lost, all "
                f"{report['revocations']} revocations honoured."
            )
        )
