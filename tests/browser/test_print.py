"""The Print buttons of the patient's copy and the referral letter work under the strict
Content Security Policy (their inline onclick was blocked; issue 25, item 10)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.careplans.factories import CarePlanFactory
from tests.referrals.factories import ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


def test_print_buttons_print(page, sign_in, coordinator, patient):
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    referral = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    page.add_init_script(COUNT_PRINTS)
    sign_in(coordinator)
    for url in (
        reverse("careplans:print", args=[plan.pk]),
        reverse("referrals:letter", args=[referral.pk]),
    ):
        page.goto(url)
        page.get_by_role("button", name="Print").click()
        assert page.evaluate("window.__prints") == 1, url
