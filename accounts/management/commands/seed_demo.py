from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEMO_ACCOUNTS = (
    # username, password, is staff/superuser
    ("demo", "demo-password", False),
    ("admin", "admin-password", True),
)


class Command(BaseCommand):
    help = "Create the demo user and the demo admin (development mode only)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are only seeded in development (DJANGO_DEBUG=1).")
        for username, password, is_admin in DEMO_ACCOUNTS:
            created = not User.objects.filter(username=username).exists()
            if created:
                create = User.objects.create_superuser if is_admin else User.objects.create_user
                create(username=username, password=password)
            verb = "created" if created else "exists"
            self.stdout.write(
                f"  {'admin' if is_admin else 'user '}  {username} / {password}  ({verb})"
            )
