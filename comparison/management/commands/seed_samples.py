from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from comparison.seed import seed_samples


class Command(BaseCommand):
    help = (
        "Add synthetic auth samples (path /synthetic/) to measure the dashboard with a long "
        "history. Development databases only: the figures are made up."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--database", default="default")

    def handle(self, *args: object, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Synthetic samples are only added in development (DJANGO_DEBUG=1).")
        count = seed_samples(
            requests=options["requests"], days=options["days"], using=options["database"]
        )
        self.stdout.write(self.style.SUCCESS(f"Added {count:,} synthetic samples."))
