"""The casework pages end to end: a screening answered in Spanish on the page, a need
resolved by a referral, an enrolment paused with a reason, a denial offering the appeal
deadline, a document ticked; each leaves its audit row."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, IdentifiedNeed, NeedStatus, ScreeningTemplate
from audit.models import AuditEvent
from benefits.models import ApplicationStatus, DocumentStatus
from programs.models import EnrolmentStatus
from tests.benefits.factories import BenefitApplicationFactory
from tests.programs.factories import EnrolmentFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, case_manager):
    client.force_login(case_manager)
    return client


def test_a_screening_is_answered_in_spanish_on_the_page(manager_client, patient, case_manager):
    template = ScreeningTemplate.objects.get(name="Health-related social needs screening")
    url = reverse("assessments:create", args=[patient.pk])
    chooser = manager_client.get(url)
    assert chooser.status_code == 200 and "assessments/choose.html" in [
        t.name for t in chooser.templates
    ]
    page = manager_client.get(url, {"template": template.pk, "language": "es"})
    food = template.questions.filter(domain="food").order_by("position")
    assert food[0].text_es in page.content.decode()
    data = {"assessed_on": timezone.localdate().isoformat(), "language": "es", "notes": ""}
    for question in food:
        data[f"question_{question.pk}"] = question.options.get(position=0).pk
    response = manager_client.post(f"{url}?template={template.pk}&language=es", data)
    assessment = Assessment.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessments:detail", args=[assessment.pk]
    )
    assert assessment.language == "es" and assessment.assessed_by == case_manager
    need = IdentifiedNeed.objects.get(patient=patient)
    assert need.domain == "food" and need.severity == "high"
    detail = manager_client.get(reverse("assessments:detail", args=[assessment.pk]))
    assert food[0].options.get(position=0).text_es in detail.content.decode()
    assert AuditEvent.objects.filter(
        patient=patient, route="assessments:detail", object_type="assessments.assessment"
    ).exists()


def test_a_need_is_resolved_by_a_referral_on_the_page(manager_client, patient, case_manager):
    from tests.assessments.factories import IdentifiedNeedFactory

    need = IdentifiedNeedFactory(patient=patient)
    referral = ReferralFactory(patient=patient, referred_by=case_manager, closed=True)
    detail = manager_client.get(reverse("assessments:need_detail", args=[need.pk]))
    assert detail.status_code == 200
    response = manager_client.post(
        reverse("assessments:need_resolve", args=[need.pk]),
        {"referral": referral.pk, "resolved_on": timezone.localdate().isoformat(), "note": ""},
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.RESOLVED and need.resolved_by_referral == referral
    page = manager_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Resolved needs" in page


def test_pausing_an_enrolment_asks_for_a_reason(manager_client, patient, case_manager):
    enrolment = EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
    url = reverse("programs:enrolment_transition", args=[enrolment.pk, "paused"])
    data = {"on": timezone.localdate().isoformat(), "reason": "", "version": enrolment.version}
    assert manager_client.post(url, data).status_code == 200  # the form again, with the error
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    response = manager_client.post(url, {**data, "reason": "In hospital"})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.status_reason) == (EnrolmentStatus.PAUSED, "In hospital")
    assert manager_client.get(url.replace("paused", "bogus")).status_code == 404


def test_a_denial_offers_the_appeal_deadline(manager_client, patient, case_manager, settings):
    settings.BENEFITS_APPEAL_DAYS = 60
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=ApplicationStatus.SUBMITTED
    )
    response = manager_client.post(
        reverse("benefits:application_transition", args=[application.pk, "denied"]),
        {
            "on": timezone.localdate().isoformat(),
            "reason": "Missing proof of income",
            "version": application.version,
        },
        follow=True,
    )
    deadline = timezone.localdate() + timezone.timedelta(days=60)
    assert f"The patient may appeal until {deadline.isoformat()}" in response.content.decode()
    application.refresh_from_db()
    assert application.appeal_deadline == deadline
    assert "Appeal" in response.content.decode()


def test_a_document_is_ticked_received(manager_client, patient, case_manager):
    application = BenefitApplicationFactory(patient=patient, case_manager=case_manager)
    document = application.documents.first()
    manager_client.post(reverse("benefits:document_mark", args=[document.pk]), {"received": "on"})
    document.refresh_from_db()
    assert document.status == DocumentStatus.RECEIVED
    manager_client.post(
        reverse("benefits:document_add", args=[application.pk]), {"name": "Birth certificate"}
    )
    assert application.documents.filter(name="Birth certificate").exists()
    assert AuditEvent.objects.filter(
        patient=patient, route="benefits:document_mark", method="POST"
    ).exists()


def test_coordinators_record_attendance_but_do_not_move_enrolments(
    coordinator_client, patient, case_manager
):
    enrolment = EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
    response = coordinator_client.post(
        reverse("programs:session_create", args=[enrolment.pk]),
        {"held_on": timezone.localdate().isoformat(), "status": "attended"},
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.attended_count == 1
    move = reverse("programs:enrolment_transition", args=[enrolment.pk, "completed"])
    assert coordinator_client.get(move).status_code == 403
