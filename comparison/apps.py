from django.apps import AppConfig


class ComparisonConfig(AppConfig):
    name = "comparison"
    verbose_name = "Sessions vs JWT comparison"

    def ready(self) -> None:
        from comparison import checks, signals  # noqa: F401

        signals.connect()
