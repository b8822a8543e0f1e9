from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from accounts.timewords import moment


class User(AbstractUser):
    """The site's user: Django's own, kept swappable from day one."""

    is_demo = models.BooleanField(
        default=False,
        help_text="A throwaway account the playground made for one browser.",
    )

    @property
    def password_is_changing(self) -> bool:
        """
        Whether the coming save stores a new password for an existing user.

        AbstractBaseUser.set_password() leaves the raw password in _password
        until the next save: the one place every password change passes
        through (admin, forms, shell). ``accounts.signals`` revokes on it.
        """
        # _password is set at run time by AbstractBaseUser; the stubs do not declare it.
        return getattr(self, "_password", None) is not None and not self._state.adding


class RevocationEvent(models.Model):
    """An audit row: someone (or something) ended all of a user's credentials."""

    class Reason(models.TextChoices):
        ADMIN_REVOKE = "admin_revoke", "Revoked by an admin"
        DEACTIVATED = "deactivated", "User deactivated"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        DRILL = "drill", "Revocation drill"
        PLAYGROUND = "playground", "Revoked in the playground"
        REFRESH_REUSE = "refresh_reuse", "Spent refresh token reused: its family ended"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="revocations"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revocations_made",
        help_text="Who revoked; empty when the site did it on its own (a password change).",
    )
    reason = models.CharField(max_length=32, choices=Reason.choices)
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the revocation started."
    )
    sessions_ended = models.PositiveIntegerField(default=0)
    refresh_tokens_blacklisted = models.PositiveIntegerField(default=0)
    access_tokens_denylisted = models.BooleanField(
        default=False,
        help_text="Whether the per-user denylist marker was set, so the denylist lane rejects "
        "access tokens issued before this moment.",
    )

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.user} at {moment(self.created_at)}"
