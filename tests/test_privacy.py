"""PHI stays out of logs, links and outgoing mail; what users typed renders as text.

A marker string is planted in every free-text patient field, then the pages a
coordinator uses are requested (including a search for the marker) while every log
record is captured.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PatientFactory, RelatedPersonFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
MARKER = "ZQXPHIMARKER"
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def marked_patient(team_a, coordinator, case_manager):
    return PatientFactory(
        care_team=team_a,
        primary_coordinator=coordinator,
        case_manager=case_manager,
        given_name=XSS,
        family_name=MARKER,
        email=f"{MARKER.lower()}@example.org",
        address_line=f"1 {MARKER} St",
        city=MARKER,
        insurance_member_id=MARKER,
        mrn=f"{MARKER}-1",
    )


def pages(patient, referral) -> list[str]:
    return [
        reverse("patients:list"),
        reverse("patients:list") + f"?q={MARKER}",
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:edit", args=[patient.pk]),
        reverse("patients:change_status", args=[patient.pk]),
        reverse("referrals:list"),
        reverse("referrals:detail", args=[referral.pk]),
        reverse("referrals:letter", args=[referral.pk]),
        reverse("referrals:create", args=[patient.pk]),
    ]


def test_typed_markup_renders_as_text_on_every_page(
    coordinator_client, coordinator, marked_patient
):
    RelatedPersonFactory(patient=marked_patient, name=XSS)
    referral = ReferralFactory(patient=marked_patient, referred_by=coordinator, sent=True)
    for url in pages(marked_patient, referral):
        html = coordinator_client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), url
    detail = coordinator_client.get(
        reverse("patients:detail", args=[marked_patient.pk])
    ).content.decode()
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in detail


def test_no_phi_in_logs_links_or_mail(
    coordinator_client, coordinator, marked_patient, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = ReferralFactory(patient=marked_patient, referred_by=coordinator, sent=True)
    assert mail.outbox, "sending a referral emails the receiving service"
    caplog.set_level(logging.DEBUG)
    for url in pages(marked_patient, referral):
        html = coordinator_client.get(url).content.decode()
        for href in re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', html):
            # Links carry ids; the only marker allowed in one is the search the user typed.
            assert MARKER not in href or f"q={MARKER}" in href, (url, href)
    coordinator_client.get(reverse("patients:detail", args=[999999]))  # a 404 is logged
    logged = "\n".join(
        record.getMessage() + str(getattr(record, "request", "")) for record in caplog.records
    )
    assert MARKER not in logged
    for message in mail.outbox:
        assert MARKER not in message.subject + message.body
        assert all(MARKER not in str(alt[0]) for alt in getattr(message, "alternatives", []))


def test_development_server_access_log_drops_query_strings():
    handlers = logging.getLogger("django.server").handlers
    assert handlers, "django.server logs through the configured, filtered handler"
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /patients/?q={MARKER} HTTP/1.1", "200", "1234"),
        None,
    )
    assert all(handler.filter(record) for handler in handlers)
    assert record.getMessage().startswith('"GET /patients/?')
    assert MARKER not in record.getMessage()


def test_gunicorn_access_log_records_paths_without_query_strings():
    config = (ROOT / "gunicorn.conf.py").read_text()
    log_format = re.search(r"access_log_format = '([^']*)'", config).group(1)
    assert "%(U)s" in log_format
    assert "%(r)s" not in log_format and "%(q)s" not in log_format
