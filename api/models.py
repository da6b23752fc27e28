"""API tokens: one per script or integration, created and revoked by its user (or an admin).

Only a SHA-256 of the key is stored; the key itself is shown once, when it is created
(api/tokens.py). ``prefix`` is the key's first characters, to tell tokens apart on the
security page without being able to use them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class RevokedBecause(models.TextChoices):
    BY_HAND = "by_hand", _("revoked")
    PASSWORD_CHANGED = "password", _("ended by a password change")
    SIGNED_OUT_EVERYWHERE = "sign_out", _("ended by signing out everywhere")


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None) -> ApiTokenQuerySet:
        now = now or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at=None)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses this token: a script, an integration.")
    )
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    scope = models.CharField(
        _("may"),
        max_length=8,
        choices=TokenScope.choices,
        default=TokenScope.READ,
        help_text=_("A read-only token is refused (403) on anything that changes data."),
    )
    # A digest of the user's password hash when the token was made: a password change,
    # by any route (the page, admin, `changepassword`), ends every older token.
    password_fingerprint = models.CharField(max_length=64, editable=False, default="")
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_because = models.CharField(
        _("why revoked"), max_length=12, choices=RevokedBecause.choices, blank=True
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def may_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class TokenPolicy(models.Model):
    """The admin's rules for every API token (one row, edited in Django admin)."""

    max_lifetime_days = models.PositiveSmallIntegerField(
        _("longest lifetime (days)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "No token is made to last longer; lowering it shortens the tokens that already "
            "exist at once."
        ),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("API token policy")
        verbose_name_plural = _("API token policy")

    def __str__(self) -> str:
        return str(_("API tokens last at most %(days)d days")) % {"days": self.max_lifetime_days}

    @classmethod
    def current(cls) -> TokenPolicy:
        return cls.objects.get_or_create(pk=1)[0]
