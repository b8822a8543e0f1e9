import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rest_framework_simplejwt.settings import api_settings

from comparison.drill import LaneProgress, run_drill
from comparison.management.preflight import require_migrated_database, require_redis


class Command(BaseCommand):
    help = (
        "Sign a fresh user in on every lane, revoke them mid-stream and measure how long "
        "each lane keeps accepting their credentials."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--access-lifetime",
            type=int,
            default=20,
            help="seconds the drill's access token lives (the site's own live "
            f"{api_settings.ACCESS_TOKEN_LIFETIME.total_seconds():.0f} s)",
        )
        parser.add_argument("--cadence", type=float, default=0.5, help="seconds between rounds")
        parser.add_argument("--revoke-after", type=float, default=2.0, help="seconds")
        parser.add_argument(
            "--margin", type=float, default=2.0, help="seconds to wait past a lane's bound"
        )

    def handle(self, *args: object, **options: Any) -> None:
        require_migrated_database()
        require_redis(make_target="drill")
        last_second = -1

        def progress(elapsed: float, lanes: dict[str, LaneProgress], revoked: bool) -> None:
            nonlocal last_second
            if int(elapsed) == last_second:
                return
            last_second = int(elapsed)
            marks = "  ".join(
                f"{lane}:{'ok' if state.last_accepted else 'no'}" for lane, state in lanes.items()
            )
            phase = "after revoke" if revoked else "before revoke"
            self.stdout.write(f"  t={elapsed:5.1f}s {phase:13}  {marks}")
            self.stdout.flush()

        self.stdout.write(
            f"Drill: access tokens live {options['access_lifetime']} s "
            f"(leeway {api_settings.LEEWAY.total_seconds():.0f} s), "
            f"revoke at {options['revoke_after']} s, one request per lane every "
            f"{options['cadence']} s."
        )
        # Refusals are the point of the drill; don't log each one as a warning.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        drill = run_drill(
            access_lifetime=options["access_lifetime"],
            cadence=options["cadence"],
            revoke_after=options["revoke_after"],
            margin=options["margin"],
            progress=progress,
        )
        self.stdout.write(
            f"\nBounds count from the revocation to the expiry of the token held "
            f"({drill.access_lifetime_seconds} s access tokens), plus the leeway."
        )
        header = f"{'lane':<10} {'bound':>10} {'accepted after':>15} {'refused after':>14}  reason"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for lane, result in drill.results.items():
            bound = f"{result['bound_seconds']:.1f} s"
            refused = (
                "never"
                if result["first_rejection_seconds"] is None
                else f"{result['first_rejection_seconds']:.2f} s"
            )
            self.stdout.write(
                f"{lane:<10} {bound:>10} {result['accepted_after']:>15} {refused:>14}  "
                f"{result['reason'] or '-'}"
            )
        self.stdout.write(self.style.SUCCESS(f"Recorded as {drill}; see /comparison/."))
