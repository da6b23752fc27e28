"""Screenings of one patient recorded at once (threads on PostgreSQL): each is saved, and
each positive domain has one open need."""

import pytest

from assessments import services
from assessments.models import Domain, IdentifiedNeed, NeedStatus
from tests.assessments.conftest import answer
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_screenings_recorded_at_once_share_one_open_need_per_domain(
    template,
    patient,
    case_manager,
):
    answers = answer(template, {Domain.FOOD: [2, 1]})
    outcomes = race(
        6,
        lambda _n: services.assessment_record(
            patient=patient, template=template, by=case_manager, answers=answers
        ),
    )
    assert sorted(kind for kind, _n in outcomes) == ["won"] * 6
    assert patient.assessments.count() == 6
    food = IdentifiedNeed.objects.filter(patient=patient, domain=Domain.FOOD)
    assert list(food.values_list("status", flat=True)) == [NeedStatus.OPEN]
