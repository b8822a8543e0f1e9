from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from comparison.management.preflight import require_migrated_database
from comparison.seed import seed_samples
from comparison.sources import Source


class Command(BaseCommand):
    help = (
        "Add synthetic auth samples (path /synthetic/) to measure the dashboard with a long "
        "history. Development databases only: the figures are made up."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--source",
            choices=Source.values,
            default=Source.LIVE,
            help="which traffic the samples stand in for (the dashboard shows live first)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Synthetic samples are only added in development (DJANGO_DEBUG=1).")
        if options["database"] not in settings.DATABASES:
            raise CommandError(
                f"No database {options['database']!r}: one of {', '.join(settings.DATABASES)}."
            )
        require_migrated_database(using=options["database"])
        count = seed_samples(
            requests=options["requests"],
            days=options["days"],
            using=options["database"],
            source=Source(options["source"]),
        )
        self.stdout.write(
            self.style.SUCCESS(f"Added {count:,} synthetic {options['source']} samples.")
        )
