"""What tells a kept dashboard that it is out of date."""

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class TeamChange(models.Model):
    """One statement that wrote a team's records (patients, care plans, goals, tasks,
    referrals, memberships ...), written by PostgreSQL triggers (migration 0001), so
    bulk updates, admin edits and raw SQL are all seen. A team's newest id is its
    generation: a dashboard kept for an older generation is drawn again. ``team_id`` is
    empty for changes every team sees (the service directory). Old rows are pruned,
    the newest of each team kept (``dashboards.freshness.prune``)."""

    id = models.BigAutoField(primary_key=True)
    team_id = models.IntegerField(_("team"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed"), db_default=Now())

    class Meta:
        verbose_name = _("team change")
        verbose_name_plural = _("team changes")
        indexes = [models.Index(fields=["team_id", "id"], name="teamchange_team_idx")]

    def __str__(self) -> str:
        return f"change {self.pk} of team {self.team_id}"
