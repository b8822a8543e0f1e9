from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and revocation"

    def ready(self) -> None:
        from accounts import checks, signals

        checks.refuse_unsafe_production_settings()
        signals.connect()
