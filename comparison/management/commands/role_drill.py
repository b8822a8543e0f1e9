import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from comparison.role_drill import LaneRole, run_role_drill


class Command(BaseCommand):
    help = (
        "Sign a fresh staff user in on every lane, remove the staff role mid-stream (revoking "
        "nothing) and measure how long each lane keeps honouring it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--access-lifetime", type=int, default=20, help="seconds")
        parser.add_argument("--cadence", type=float, default=0.5, help="seconds between rounds")
        parser.add_argument("--demote-after", type=float, default=2.0, help="seconds")
        parser.add_argument(
            "--margin", type=float, default=2.0, help="seconds to wait past a lane's bound"
        )
        parser.add_argument(
            "--remote-url",
            default=settings.COMPARISON_REMOTE_URL,
            help="where the second service answers (default: REMOTE_URL); empty leaves it out",
        )

    def handle(self, *args: object, **options: Any) -> None:
        last_second = -1

        def progress(elapsed: float, lanes: dict[str, LaneRole], demoted: bool) -> None:
            nonlocal last_second
            if int(elapsed) == last_second:
                return
            last_second = int(elapsed)
            marks = "  ".join(
                f"{lane}:{'staff' if state.last_honoured else 'no'}"
                for lane, state in lanes.items()
            )
            phase = "after demotion" if demoted else "before demotion"
            self.stdout.write(f"  t={elapsed:5.1f}s {phase:15}  {marks}")
            self.stdout.flush()

        self.stdout.write(
            f"Role drill: access tokens live {options['access_lifetime']} s, the staff role is "
            f"removed at {options['demote_after']} s (nothing revoked), one request per lane "
            f"every {options['cadence']} s; the second service "
            + (f"at {options['remote_url']}." if options["remote_url"] else "left out (no URL).")
        )
        # Refusals are the point of the drill; don't log each one as a warning,
        # nor each of its own sign-ins.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        logging.getLogger("axes").setLevel(logging.WARNING)
        try:
            drill = run_role_drill(
                access_lifetime=options["access_lifetime"],
                cadence=options["cadence"],
                demote_after=options["demote_after"],
                margin=options["margin"],
                remote_url=options["remote_url"],
                progress=progress,
            )
        except (ValueError, OSError) as e:
            raise CommandError(f"The role drill could not run: {e}") from e
        self.stdout.write("")
        header = f"{'lane':<16} {'bound':>8} {'honoured after':>15} {'refused after':>14}  why"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for lane, result in drill.results.items():
            bound = (
                "session" if result["bound_seconds"] is None else f"{result['bound_seconds']:.0f} s"
            )
            refused = (
                "not yet"
                if result["first_refusal_seconds"] is None
                else f"{result['first_refusal_seconds']:.2f} s"
            )
            self.stdout.write(
                f"{lane:<16} {bound:>8} {result['honoured_after']:>15} {refused:>14}  "
                f"{result['refusal'] or 'still honoured'}: {result['why']}"
            )
        self.stdout.write(self.style.SUCCESS(f"Recorded as {drill}; see /comparison/."))
