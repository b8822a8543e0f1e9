from django.core.management.base import BaseCommand

from accounts.services import demo_users_delete_expired
from comparison.playground import demo_account_idle


class Command(BaseCommand):
    help = (
        "Delete the playground's demo accounts whose credentials have all expired, with the "
        "tokens, revocation rows and Redis keys they left. Each playground login also deletes "
        "a few; run this from cron to catch the rest."
    )

    def handle(self, *args: object, **options: object) -> None:
        deleted = demo_users_delete_expired(idle=demo_account_idle())
        self.stdout.write(f"Deleted {deleted} expired demo account(s).")
