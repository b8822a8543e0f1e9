from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and revocation"

    def ready(self) -> None:
        # schema registers the OpenAPI description of our authentication classes.
        from accounts import checks, schema, signals  # noqa: F401

        checks.refuse_unsafe_production_settings()
        signals.connect()
