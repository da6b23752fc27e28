from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from audit.history import track_history


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class User(AbstractUser):
    """A member of staff. Patients never sign in."""

    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Dates and times are shown in this zone. Empty: the clinic's zone."),
    )
    teams = models.ManyToManyField(
        "accounts.CareTeam",
        through="accounts.TeamMembership",
        related_name="members",
        blank=True,
        verbose_name=_("care teams"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or settings.TIME_ZONE

    @cached_property
    def role_names(self) -> frozenset[str]:
        """The user's roles (group names), read with their permissions in one query."""
        from accounts.backends import load_access

        load_access(self)
        return self.__dict__["role_names"]

    def has_role(self, role: Role) -> bool:
        if role == Role.ADMIN and self.is_superuser:
            return True
        return role.group_name in self.role_names

    @property
    def is_admin(self) -> bool:
        return self.is_active and (self.is_superuser or self.has_role(Role.ADMIN))


class CareTeam(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("care team")
        verbose_name_plural = _("care teams")
        ordering = ["name"]
        permissions = [("view_caseload", _("Can open the caseload review of their teams"))]

    def __str__(self) -> str:
        return self.name


# Who belongs to which team decides who sees which patients.
@track_history(patient=None)
class TeamMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="unique_team_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class UserSession(models.Model):
    """A signed-in session of a user, so "sign out everywhere" can end them all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(_("signed in"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
