"""The demo seeder's referrals are consistent with the rules the app enforces."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max
from django.utils import timezone

from referrals.directory import directory_export_csv, directory_import_csv
from referrals.models import Referral, ReferralStatus, ReferralTransition, Service, ServiceCategory
from referrals.selectors import referral_figures
from referrals.transitions import REFERRAL_STATUS

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_directory_and_consistent_referrals(settings, admin_user):
    settings.DEBUG = True
    call_command("seed_demo", patients=400, verbosity=0)

    assert Service.objects.count() >= 35
    assert set(Service.objects.values_list("category", flat=True)) == set(ServiceCategory.values)
    # Loaded without the forms' checks, the directory passes them all the same: an export
    # of it imports back as it is.
    exported = io.StringIO()
    directory_export_csv(Service.objects.select_related("organization"), exported)
    result = directory_import_csv(data=exported.getvalue().encode())
    assert (result.created, result.updated) == (0, 0)
    referrals = Referral.objects.annotate(moves=Count("transitions"))
    assert 100 < referrals.count() < 300
    statuses = set(referrals.values_list("status", flat=True))
    # Loaded in bulk (COPY on PostgreSQL), each takes its patient's team all the same.
    assert not Referral.objects.exclude(care_team_id=F("patient__care_team_id")).exists()
    assert {ReferralStatus.CLOSED, ReferralStatus.SENT, ReferralStatus.SCHEDULED} <= statuses

    last_move = dict(
        ReferralTransition.objects.values("referral")
        .annotate(last=Max("pk"))
        .values_list("referral", "last")
    )
    last = {t.pk: t for t in ReferralTransition.objects.filter(pk__in=last_move.values())}
    for referral in referrals:
        assert referral.moves == referral.version - 1
        if referral.moves:
            record = last[last_move[referral.pk]]
            assert record.to_status == referral.status
        for move in referral.transitions.all() if referral.pk % 25 == 0 else []:
            assert move.to_status in REFERRAL_STATUS.allowed_from(move.from_status)
        if referral.sent_at:
            assert referral.sharing_consent_id or referral.consent_override_reason

    assert Referral.objects.overdue(timezone.now()).exists()
    now = timezone.now()
    figures = referral_figures(user=admin_user, start=now - datetime.timedelta(days=365), end=now)
    assert sum(row.sent for row in figures["teams"]) > 50
    assert any(row.median_days_to_accept for row in figures["teams"])
