from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import keys


class Command(BaseCommand):
    help = (
        "Add a new JWT signing key. The previous key stops signing and keeps verifying "
        "until every token it signed has expired; keys past that are retired."
    )
    # The production checks refuse to run without a signing key, and this makes the first one.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--retire-expired",
            action="store_true",
            help="Only retire the keys whose tokens have all expired; add no key.",
        )
        action.add_argument(
            "--initial",
            action="store_true",
            help="Create the first key if JWT_KEYS_DIR holds none; otherwise change nothing.",
        )

    def handle(self, *args: Any, retire_expired: bool, initial: bool, **options: Any) -> None:
        try:
            if initial and keys.is_symmetric(keys.token_backend().algorithm):
                self.stdout.write("JWT_ALGORITHM is HS*: tokens are signed with JWT_SIGNING_KEY.")
            elif retire_expired:
                self._report_retired(keys.signing_keys_retire_expired())
            elif initial and keys.key_state_read().signing_record is not None:
                self.stdout.write(f"{keys.keys_directory()} already has a signing key.")
            else:
                self._report_rotation(keys.signing_key_rotate())
        except ImproperlyConfigured as e:
            raise CommandError(str(e)) from e

    def _report_rotation(self, rotation: keys.KeyRotation) -> None:
        self.stdout.write(f"Signing with {rotation.kid} ({rotation.algorithm}) from now.")
        if rotation.previous_kid:
            until = timezone.localtime(rotation.previous_retire_after)
            self.stdout.write(
                f"{rotation.previous_kid} no longer signs; it verifies until "
                f"{until:%Y-%m-%d %H:%M:%S %Z}."
            )
        self._report_retired(rotation.retired)

    def _report_retired(self, retired: list[str]) -> None:
        self.stdout.write(f"Retired: {', '.join(retired) if retired else 'none'}.")
