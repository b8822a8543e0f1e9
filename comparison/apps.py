from django.apps import AppConfig


class ComparisonConfig(AppConfig):
    name = "comparison"
    verbose_name = "Sessions vs JWT comparison"

    def ready(self) -> None:
        from accounts.observers import auth_observer
        from comparison import checks, probe, signals  # noqa: F401 - checks registers itself

        if auth_observer() is probe.observe:
            signals.connect()
