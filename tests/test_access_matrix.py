"""Every URL of the project, for every persona: the one table of who gets what.

The routes are read from the URL conf, so a new URL without a row here fails
``test_every_url_is_classified``. Expectations:

- ``ok``: the view answered (200, or a redirect that is not to sign-in);
- ``login``: redirected to sign-in (anonymous users);
- ``401``: the API and FHIR views without a session or token (JSON, no redirect);
- ``404``: outside the user's scope, indistinguishable from a record that does not exist;
- ``403``: the user's role may not open this page;
- ``400``: an API create naming a record outside the user's scope: "does not exist".

A key is a URL name, optionally with ``#variant`` for another verb or body on that URL;
API rows send ``data`` as JSON.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from programs.models import SessionStatus
from programs.services import session_record
from tests.assessments.factories import (
    AssessmentFactory,
    IdentifiedNeedFactory,
    question_with_options,
)
from tests.benefits.factories import (
    BenefitApplicationFactory,
    CoverageFactory,
    PriorAuthorisationFactory,
)
from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from tests.factories import PatientIdentifierFactory, RelatedPersonFactory
from tests.programs.factories import EnrolmentFactory, ProgramFactory
from tests.referrals.factories import ReferralFactory, SharingConsentFactory
from tests.reminders.factories import NotificationFactory, ReminderFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "coordinator", "outsider", "case_manager", "admin"]
INSIDERS = {"coordinator": "ok", "case_manager": "ok", "admin": "ok"}


@dataclass
class Route:
    kwargs: Callable[[dict], dict] = lambda records: {}
    method: str = "get"
    expect: dict[str, str] = field(default_factory=dict)
    data: Callable[[dict], dict] | None = None


def signed_in(**overrides) -> dict[str, str]:
    """Any signed-in user may open it; anonymous users are sent to sign in."""
    return {"anonymous": "login", "outsider": "ok", **INSIDERS, **overrides}


def scoped(**overrides) -> dict[str, str]:
    """A patient's record: the outsider (another team) gets 404."""
    return {"anonymous": "login", "outsider": "404", **INSIDERS, **overrides}


def public() -> dict[str, str]:
    return dict.fromkeys(PERSONAS, "ok")


def api_signed_in(**overrides) -> dict[str, str]:
    """API (DRF authenticates): 401 without a session or token, no redirect."""
    return signed_in(anonymous="401", **overrides)


def api_scoped(**overrides) -> dict[str, str]:
    return scoped(anonymous="401", **overrides)


OWN_ONLY_API = {
    "anonymous": "401",
    "coordinator": "ok",
    "outsider": "404",
    "case_manager": "404",
    "admin": "404",
}


def api_create(**overrides) -> dict[str, str]:
    """A create naming a team A record: for the outsider it "does not exist" (400)."""
    return api_scoped(outsider="400", **overrides)


def patient(records):
    return {"pk": records["patient"].pk}


def referral(records):
    return {"pk": records["referral"].pk}


def care_plan(records):
    return {"pk": records["care_plan"].pk}


def goal(records):
    return {"pk": records["goal"].pk}


def task(records):
    return {"pk": records["task"].pk}


def record(name):
    return lambda records: {"pk": records[name].pk}


def patient_pk(records):
    return {"patient_pk": records["patient"].pk}


def api_case_managers_only(**overrides) -> dict[str, str]:
    """An API write on a patient's record that case managers make: 403 for the team's
    coordinators, 404 for the outsider."""
    return api_scoped(coordinator="403", **overrides)


def api_case_managers_create(**overrides) -> dict[str, str]:
    """An API create that case managers make: coordinators' role may not (403), whichever
    patient they name."""
    return api_scoped(coordinator="403", outsider="403", **overrides)


def case_managers_only(**overrides) -> dict[str, str]:
    """A patient's record that case managers write: coordinators of the team get 403."""
    return scoped(coordinator="403", **overrides)


def fhir_id(key):
    return lambda records: {"id": str(records[key].pk)}


def version_of(key, **body):
    return lambda records: {"version": records[key].version, **body}


def tomorrow() -> str:
    return (timezone.now() + datetime.timedelta(days=1)).isoformat()


ROUTES: dict[str, Route] = {
    # Public
    "healthz": Route(expect=public()),
    "favicon": Route(expect=public()),
    "accounts:login": Route(expect=public()),
    "referrals:respond": Route(kwargs=lambda r: {"token": r["link_token"]}, expect=public()),
    # Signed-in, no patient record
    "home": Route(expect=signed_in()),
    # Signing out ends on the sign-in page, whoever asks.
    "accounts:logout": Route(method="post", expect=dict.fromkeys(PERSONAS, "login")),
    "accounts:security": Route(expect=signed_in()),
    "accounts:two_factor_setup": Route(expect=signed_in()),
    "accounts:two_factor_verify": Route(expect=signed_in()),
    "accounts:recovery_codes_new": Route(method="post", expect=signed_in()),
    "accounts:password_change": Route(expect=signed_in()),
    "accounts:sign_out_everywhere": Route(method="post", expect=dict.fromkeys(PERSONAS, "login")),
    "patients:list": Route(expect=signed_in()),
    "patients:create": Route(expect=signed_in()),
    "referrals:list": Route(expect=signed_in()),
    "referrals:export": Route(expect=signed_in()),
    "referrals:directory": Route(expect=signed_in()),
    # A patient's records
    "patients:detail": Route(patient, expect=scoped()),
    "patients:edit": Route(patient, expect=scoped()),
    "patients:change_status": Route(patient, expect=scoped()),
    "patients:related_person_add": Route(patient, expect=scoped()),
    "patients:related_person_edit": Route(
        lambda r: {**patient(r), "person_pk": r["person"].pk}, expect=scoped()
    ),
    "patients:identifier_add": Route(patient, expect=scoped()),
    "patients:identifier_add#post": Route(patient, method="post", expect=scoped()),
    "patients:identifier_remove": Route(
        lambda r: {**patient(r), "identifier_pk": r["identifier"].pk},
        method="post",
        expect=scoped(),
    ),
    "patients:related_person_remove": Route(
        lambda r: {**patient(r), "person_pk": r["person"].pk}, method="post", expect=scoped()
    ),
    "audit:patient_trail": Route(patient, expect=scoped(coordinator="403")),
    "audit:patient_history": Route(patient, expect=scoped(coordinator="403")),
    "referrals:create": Route(lambda r: {"patient_pk": r["patient"].pk}, expect=scoped()),
    "referrals:detail": Route(referral, expect=scoped()),
    "referrals:edit": Route(referral, expect=scoped()),
    "referrals:send": Route(referral, expect=scoped()),
    "referrals:move": Route(lambda r: {**referral(r), "to": "received"}, expect=scoped()),
    "referrals:contact_add": Route(referral, expect=scoped()),
    "referrals:reroute": Route(referral, expect=scoped()),
    "referrals:letter": Route(referral, expect=scoped()),
    "referrals:renew_link": Route(referral, method="post", expect=scoped()),
    "referrals:consent_add": Route(referral, expect=scoped()),
    "referrals:consent_revoke": Route(
        lambda r: {"consent_pk": r["consent"].pk}, method="post", expect=scoped()
    ),
    "reminders:notifications": Route(expect=signed_in()),
    "reminders:read_all": Route(method="post", expect=signed_in()),
    "reminders:preferences": Route(expect=signed_in()),
    # A user's own notification: nobody else's, whatever their role.
    "reminders:read": Route(
        lambda r: {"pk": r["notification"].pk},
        method="post",
        expect={
            "anonymous": "login",
            "coordinator": "ok",
            "outsider": "404",
            "case_manager": "404",
            "admin": "404",
        },
    ),
    "careplans:my_tasks": Route(expect=signed_in()),
    "careplans:create": Route(lambda r: {"patient_pk": r["patient"].pk}, expect=scoped()),
    "careplans:detail": Route(care_plan, expect=scoped()),
    "careplans:edit": Route(care_plan, expect=scoped()),
    "careplans:transition": Route(lambda r: {**care_plan(r), "target": "on-hold"}, expect=scoped()),
    "careplans:review": Route(care_plan, expect=scoped(coordinator="403")),
    "careplans:print": Route(care_plan, expect=scoped()),
    "careplans:goal_create": Route(care_plan, expect=scoped()),
    "careplans:goal_edit": Route(goal, expect=scoped()),
    "careplans:goal_transition": Route(lambda r: {**goal(r), "target": "on-hold"}, expect=scoped()),
    "careplans:goal_progress": Route(goal, expect=scoped()),
    "careplans:task_create": Route(lambda r: {"patient_pk": r["patient"].pk}, expect=scoped()),
    "careplans:task_complete": Route(task, method="post", expect=scoped()),
    "careplans:task_reschedule": Route(task, expect=scoped()),
    "careplans:task_transition": Route(
        lambda r: {**task(r), "target": "cancelled"}, expect=scoped()
    ),
    # Needs assessments: coordinators read them, case managers assess and resolve.
    # Who screens is set by admins per role; coordinators and case managers by default.
    "assessments:create": Route(patient_pk, expect=scoped()),
    "assessments:detail": Route(record("assessment"), expect=scoped()),
    "assessments:need_detail": Route(record("need"), expect=scoped()),
    "assessments:need_address": Route(record("need"), method="post", expect=case_managers_only()),
    "assessments:need_resolve": Route(record("need"), expect=case_managers_only()),
    # Programs: case managers refer and move enrolments; coordinators record attendance.
    "programs:enrolment_create": Route(patient_pk, expect=case_managers_only()),
    "programs:enrolment_detail": Route(record("enrolment"), expect=scoped()),
    "programs:enrolment_transition": Route(
        lambda r: {"pk": r["enrolment"].pk, "target": "paused"}, expect=case_managers_only()
    ),
    "programs:session_create": Route(record("enrolment"), expect=scoped()),
    # Coverage and benefits: case managers' work, readable by the team's coordinators.
    # The benefits and programs view is the case manager's (no patient: no 404).
    "benefits:casework": Route(
        expect=signed_in(coordinator="403", outsider="403"),
    ),
    "benefits:coverage_create": Route(patient_pk, expect=case_managers_only()),
    "benefits:coverage_edit": Route(record("coverage"), expect=case_managers_only()),
    "benefits:authorisation_create": Route(patient_pk, expect=case_managers_only()),
    "benefits:authorisation_edit": Route(record("authorisation"), expect=case_managers_only()),
    "benefits:application_create": Route(patient_pk, expect=case_managers_only()),
    "benefits:application_detail": Route(record("application"), expect=scoped()),
    "benefits:application_edit": Route(record("application"), expect=case_managers_only()),
    "benefits:application_transition": Route(
        lambda r: {"pk": r["application"].pk, "target": "submitted"},
        expect=case_managers_only(),
    ),
    "benefits:document_add": Route(
        record("application"), method="post", expect=case_managers_only()
    ),
    "benefits:document_mark": Route(record("document"), method="post", expect=case_managers_only()),
    "careplans:task_snooze": Route(task, expect=scoped()),
    # Dashboards: My day for everyone signed in (their own work); the caseload review, its
    # export and reassigning for case managers (their teams) and admins.
    "dashboards:my_day": Route(expect=signed_in()),
    "dashboards:caseload": Route(expect=signed_in(coordinator="403", outsider="403")),
    "dashboards:caseload_export": Route(expect=signed_in(coordinator="403", outsider="403")),
    "dashboards:reassign": Route(expect=signed_in(coordinator="403", outsider="403")),
    # API tokens on the security page: a token of another user is not there (404).
    "accounts:api_token_create": Route(method="post", expect=signed_in()),
    "accounts:api_token_revoke": Route(
        lambda r: {"pk": r["api_token"].pk},
        method="post",
        expect=scoped(coordinator="ok", case_manager="404", admin="404"),
    ),
    # --- The REST API (/api/v1/): every route and verb -------------------------------------
    "api:schema": Route(expect=api_signed_in()),
    "api:docs": Route(expect=signed_in()),
    "api:redoc": Route(expect=signed_in()),
    # The user's own notifications and reminders: nobody else's, whatever their role.
    "api:notification-list": Route(expect=api_signed_in()),
    "api:notification-read-all": Route(method="post", expect=api_signed_in()),
    "api:notification-detail": Route(record("notification"), expect=OWN_ONLY_API),
    "api:notification-read": Route(record("notification"), method="post", expect=OWN_ONLY_API),
    "api:reminder-list": Route(expect=api_signed_in()),
    "api:reminder-detail": Route(record("reminder"), expect=OWN_ONLY_API),
    "api:patient-list": Route(expect=api_signed_in()),
    "api:patient-list#create": Route(
        method="post",
        data=lambda r: {
            "mrn": "API-0001",
            "given_name": "Ada",
            "family_name": "Quinn",
            "date_of_birth": "1970-01-02",
            "care_team": r["patient"].care_team_id,
        },
        expect=api_create(),
    ),
    "api:patient-detail": Route(patient, expect=api_scoped()),
    "api:patient-detail#patch": Route(
        patient, method="patch", data=version_of("patient", city="Springfield"), expect=api_scoped()
    ),
    "api:patient-identifiers": Route(
        patient,
        method="post",
        data=lambda r: {"system": "http://hospital.example.org/mrn", "value": "API-ID-1"},
        expect=api_scoped(),
    ),
    "api:patient-identifier": Route(
        lambda r: {**patient(r), "identifier_pk": r["identifier"].pk},
        method="delete",
        expect=api_scoped(),
    ),
    "api:patient-transition": Route(
        patient,
        method="post",
        data=lambda r: {"to": "inactive", "reason": "Moved"},
        expect=api_scoped(),
    ),
    "api:care-plan-list": Route(expect=api_signed_in()),
    "api:care-plan-list#create": Route(
        method="post",
        data=lambda r: {"patient": r["patient"].pk, "title": "Stay at home"},
        expect=api_create(),
    ),
    "api:care-plan-detail": Route(care_plan, expect=api_scoped()),
    "api:care-plan-detail#patch": Route(
        care_plan,
        method="patch",
        data=version_of("care_plan", title="New title"),
        expect=api_scoped(),
    ),
    "api:care-plan-transition": Route(
        care_plan, method="post", data=lambda r: {"to": "on-hold"}, expect=api_scoped()
    ),
    "api:goal-list": Route(expect=api_signed_in()),
    "api:goal-list#create": Route(
        method="post",
        data=lambda r: {
            "care_plan": r["care_plan"].pk,
            "description": "Walk",
            "category": "medical",
        },
        expect=api_create(),
    ),
    "api:goal-detail": Route(goal, expect=api_scoped()),
    "api:goal-detail#patch": Route(
        goal, method="patch", data=version_of("goal", description="Walk more"), expect=api_scoped()
    ),
    "api:goal-transition": Route(
        goal, method="post", data=lambda r: {"to": "on-hold"}, expect=api_scoped()
    ),
    "api:goal-progress": Route(goal, expect=api_scoped()),
    "api:goal-progress#create": Route(
        goal, method="post", data=lambda r: {"achievement_status": "improving"}, expect=api_scoped()
    ),
    "api:task-list": Route(expect=api_signed_in()),
    "api:task-list#create": Route(
        method="post",
        data=lambda r: {
            "patient": r["patient"].pk,
            "description": "Call back",
            "assignee": r["task"].assignee_id,
            "due_at": tomorrow(),
        },
        expect=api_create(),
    ),
    "api:task-detail": Route(task, expect=api_scoped()),
    "api:task-detail#patch": Route(
        task, method="patch", data=version_of("task", due_at=tomorrow()), expect=api_scoped()
    ),
    "api:task-transition": Route(
        task, method="post", data=lambda r: {"to": "accepted"}, expect=api_scoped()
    ),
    "api:referral-list": Route(expect=api_signed_in()),
    "api:referral-list#create": Route(
        method="post",
        data=lambda r: {"patient": r["patient"].pk, "recipient_name": "Dr Who", "reason": "Help"},
        expect=api_create(),
    ),
    "api:referral-detail": Route(referral, expect=api_scoped()),
    "api:referral-detail#patch": Route(
        lambda r: {"pk": r["draft_referral"].pk},
        method="patch",
        data=version_of("draft_referral", reason="More help"),
        expect=api_scoped(),
    ),
    "api:referral-transition": Route(
        referral, method="post", data=lambda r: {"to": "received"}, expect=api_scoped()
    ),
    "api:referral-contacts": Route(referral, expect=api_scoped()),
    "api:referral-contacts#create": Route(
        referral,
        method="post",
        data=lambda r: {"channel": "phone", "direction": "outbound"},
        expect=api_scoped(),
    ),
    "api:service-list": Route(expect=api_signed_in()),
    "api:service-detail": Route(lambda r: {"pk": r["referral"].service_id}, expect=api_signed_in()),
    "api:organization-list": Route(expect=api_signed_in()),
    "api:organization-detail": Route(
        lambda r: {"pk": r["referral"].service.organization_id}, expect=api_signed_in()
    ),
    "api:user-list": Route(expect=api_signed_in()),
    "api:user-me": Route(expect=api_signed_in()),
    "api:user-detail": Route(lambda r: {"pk": r["task"].assignee_id}, expect=api_scoped()),
    "api:team-list": Route(expect=api_signed_in()),
    "api:team-detail": Route(lambda r: {"pk": r["patient"].care_team_id}, expect=api_scoped()),
    # Needs assessments: coordinators read them; case managers assess and link or resolve
    # needs. Screening templates and programs hold no patient data: any signed-in user.
    "api:screening-template-list": Route(expect=api_signed_in()),
    "api:screening-template-detail": Route(
        lambda r: {"pk": r["question"].template_id}, expect=api_signed_in()
    ),
    "api:assessment-list": Route(expect=api_signed_in()),
    "api:assessment-list#create": Route(
        method="post",
        data=lambda r: {
            "patient": r["patient"].pk,
            "template": r["question"].template_id,
            "answers": [{"question": r["question"].pk, "option": r["question"].options.first().pk}],
        },
        expect=api_create(),
    ),
    "api:assessment-detail": Route(record("assessment"), expect=api_scoped()),
    "api:identified-need-list": Route(expect=api_signed_in()),
    "api:identified-need-detail": Route(record("need"), expect=api_scoped()),
    "api:identified-need-address": Route(
        record("need"),
        method="post",
        data=lambda r: {"goal": r["goal"].pk},
        expect=api_case_managers_only(),
    ),
    "api:identified-need-resolve": Route(
        record("need"),
        method="post",
        data=lambda r: {"note": "Found a food pantry"},
        expect=api_case_managers_only(),
    ),
    # Programs: case managers refer and move enrolments; coordinators record attendance.
    "api:program-list": Route(expect=api_signed_in()),
    "api:program-detail": Route(record("program"), expect=api_signed_in()),
    "api:enrolment-list": Route(expect=api_signed_in()),
    "api:enrolment-list#create": Route(
        method="post",
        data=lambda r: {
            "patient": r["patient"].pk,
            "program": r["program"].pk,
            "case_manager": r["enrolment"].case_manager_id,
        },
        expect=api_case_managers_create(),
    ),
    "api:enrolment-detail": Route(record("enrolment"), expect=api_scoped()),
    "api:enrolment-transition": Route(
        record("enrolment"),
        method="post",
        data=lambda r: {"to": "paused", "reason": "In hospital"},
        expect=api_case_managers_only(),
    ),
    "api:attendance-session-list": Route(expect=api_signed_in()),
    "api:attendance-session-list#create": Route(
        method="post",
        data=lambda r: {
            "enrolment": r["enrolment"].pk,
            "held_on": timezone.localdate().isoformat(),
            "status": "attended",
        },
        expect=api_create(),
    ),
    "api:attendance-session-detail": Route(record("session"), expect=api_scoped()),
    # Coverage and benefits: case managers' work, readable by the team's coordinators.
    "api:coverage-list": Route(expect=api_signed_in()),
    "api:coverage-list#create": Route(
        method="post",
        data=lambda r: {
            "patient": r["patient"].pk,
            "payer": "Tufts",
            "member_id": "T-1",
            "effective_from": "2026-01-01",
        },
        expect=api_case_managers_create(),
    ),
    "api:coverage-detail": Route(record("coverage"), expect=api_scoped()),
    "api:coverage-detail#patch": Route(
        record("coverage"),
        method="patch",
        data=version_of("coverage", plan_name="Gold"),
        expect=api_case_managers_only(),
    ),
    "api:prior-authorisation-list": Route(expect=api_signed_in()),
    "api:prior-authorisation-list#create": Route(
        method="post",
        data=lambda r: {
            "patient": r["patient"].pk,
            "service": "Home health aide",
            "payer": "Tufts",
            "reference_number": "PA-9",
            "units_approved": 10,
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
        },
        expect=api_case_managers_create(),
    ),
    "api:prior-authorisation-detail": Route(record("authorisation"), expect=api_scoped()),
    "api:prior-authorisation-detail#patch": Route(
        record("authorisation"),
        method="patch",
        data=version_of("authorisation", units_used=6),
        expect=api_case_managers_only(),
    ),
    "api:benefit-application-list": Route(expect=api_signed_in()),
    "api:benefit-application-list#create": Route(
        method="post",
        data=lambda r: {
            "patient": r["patient"].pk,
            "program": "medicaid",
            "case_manager": r["application"].case_manager_id,
        },
        expect=api_case_managers_create(),
    ),
    "api:benefit-application-detail": Route(record("application"), expect=api_scoped()),
    "api:benefit-application-detail#patch": Route(
        record("application"),
        method="patch",
        data=version_of("application", notes="Called the office"),
        expect=api_case_managers_only(),
    ),
    "api:benefit-application-transition": Route(
        record("application"),
        method="post",
        data=lambda r: {"to": "submitted"},
        expect=api_case_managers_only(),
    ),
    "api:benefit-application-documents": Route(
        record("application"),
        method="post",
        data=lambda r: {"name": "Pay stubs"},
        expect=api_case_managers_only(),
    ),
    "api:benefit-application-document": Route(
        lambda r: {"pk": r["application"].pk, "document_pk": r["document"].pk},
        method="patch",
        data=lambda r: {"received": True},
        expect=api_case_managers_only(),
    ),
    # Any other path under /api/ or /fhir/: a JSON 404 for everyone.
    "api:not-found": Route(
        lambda r: {"rest": "v1/nothing/"}, expect=dict.fromkeys(PERSONAS, "404")
    ),
    "fhir:not-found": Route(lambda r: {"rest": "Nothing/1"}, expect=dict.fromkeys(PERSONAS, "404")),
    # --- The HSDS 3 read API (directory/api.py; HSDS_API_PUBLIC off) ----------------------------
    "hsds:services": Route(expect=api_signed_in()),
    "hsds:service": Route(lambda r: {"hsds_id": r["hsds_service"].hsds_id}, expect=api_signed_in()),
    "hsds:organizations": Route(expect=api_signed_in()),
    "hsds:organization": Route(
        lambda r: {"hsds_id": r["hsds_service"].organization.hsds_id}, expect=api_signed_in()
    ),
    "hsds:taxonomies": Route(expect=api_signed_in()),
    "hsds:taxonomy_terms": Route(expect=api_signed_in()),
    "hsds:service_at_locations": Route(expect=api_signed_in()),
    # --- The FHIR export ---------------------------------------------------------------------
    "fhir:patient": Route(fhir_id("patient"), expect=api_scoped()),
    "fhir:everything": Route(fhir_id("patient"), expect=api_scoped()),
    "fhir:careplan": Route(fhir_id("care_plan"), expect=api_scoped()),
    "fhir:goal": Route(fhir_id("goal"), expect=api_scoped()),
    "fhir:servicerequest": Route(fhir_id("referral"), expect=api_scoped()),
    "fhir:task": Route(fhir_id("task"), expect=api_scoped()),
    "fhir:episodeofcare": Route(fhir_id("enrolment"), expect=api_scoped()),
    "fhir:coverage": Route(fhir_id("coverage"), expect=api_scoped()),
    "fhir:encounter": Route(fhir_id("encounter"), expect=api_scoped()),
    "fhir:encounter-search": Route(expect=api_signed_in()),
    "api:encounter-list": Route(expect=api_signed_in()),
    "api:encounter-detail": Route(record("encounter"), expect=api_scoped()),
    # Unmatched notices: the team of the facility that sent them, and admins.
    "interfaces:unmatched": Route(expect=signed_in(outsider="ok")),
    "interfaces:unmatched_match": Route(record("unmatched"), expect=scoped()),
    "interfaces:unmatched_dismiss": Route(record("unmatched"), expect=scoped()),
    "fhir:task#fulfilment": Route(
        lambda r: {"id": f"referral-{r['referral'].pk}"}, expect=api_scoped()
    ),
}


def project_url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django admin: checked as a whole below
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield namespace + pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_is_classified():
    names = project_url_names()
    classified = {key.split("#")[0] for key in ROUTES}
    assert names - classified == set(), "add these routes to the access table"
    assert classified - names == set(), "these rows name routes that no longer exist"


def running_system() -> None:
    from django_celery_beat.models import PeriodicTask

    from reminders.status import heartbeat_record

    heartbeat_record(hostname="celery@test")
    PeriodicTask.objects.update(last_run_at=timezone.now())


@pytest.fixture
def records(team_a, coordinator, case_manager, patient):
    from api.tokens import api_token_create
    from referrals import links

    sent = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state="gathering_documents"
    )
    assessment = AssessmentFactory(patient=patient, assessed_by=case_manager)
    enrolment = EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
    running_system()  # /healthz answers 200 only with a worker and beat heard from
    return {
        "patient": patient,
        "person": RelatedPersonFactory(patient=patient),
        "identifier": PatientIdentifierFactory(patient=patient),
        "referral": sent,
        "consent": SharingConsentFactory(patient=patient, organization=sent.service.organization),
        "link_token": links.make_token(sent),
        "notification": NotificationFactory(user=coordinator),
        "reminder": ReminderFactory(recipient_user=coordinator),
        "care_plan": plan,
        "goal": GoalFactory(care_plan=plan, active=True),
        "task": TaskFactory(patient=patient, care_plan=plan, assignee=coordinator),
        "assessment": assessment,
        "question": question_with_options(assessment.template, "food", [0, 1]),
        "need": IdentifiedNeedFactory(patient=patient),
        "enrolment": enrolment,
        "program": ProgramFactory(),
        "session": session_record(
            enrolment=enrolment,
            by=case_manager,
            held_on=timezone.localdate(),
            status=SessionStatus.ATTENDED,
        ),
        "coverage": CoverageFactory(patient=patient),
        "authorisation": PriorAuthorisationFactory(patient=patient),
        "application": application,
        "document": application.documents.first(),
        "draft_referral": ReferralFactory(patient=patient, referred_by=coordinator),
        "api_token": api_token_create(user=coordinator, by=coordinator, name="script")[0],
        "hsds_service": _hsds_service(sent.service),
        "encounter": _encounter(patient),
        "unmatched": _unmatched(team_a),
    }


def _encounter(patient):
    from encounters.services import Notice, notice_record

    notice = Notice(
        event="A01", occurred_at=timezone.now(), facility_key="GENHOSP", visit_number="V1"
    )
    return notice_record(patient=patient, notice=notice, source="test").encounter


def _unmatched(team):
    """A notice from team A's hospital that matched nobody."""
    from interfaces import services
    from interfaces.models import AssigningAuthority
    from tests.interfaces.messages import adt

    AssigningAuthority.objects.create(code="GENHOSP", identifier_system="urn:oid:1.2.3", team=team)
    message = services.message_receive(adt("A01", mrn="NOBODY").encode()).message
    services.message_process(message.pk)
    message.refresh_from_db()
    return message


def _hsds_service(listing):
    """The referral's directory listing in the HSDS 3 tables (referrals.directory)."""
    from referrals.directory import hsds_sync

    hsds_sync([listing])
    listing.refresh_from_db()
    return listing.service_at_location.service


@pytest.fixture
def personas(coordinator, coordinator_b, case_manager, admin_user):
    return {
        "coordinator": coordinator,
        "outsider": coordinator_b,
        "case_manager": case_manager,
        "admin": admin_user,
    }


def outcome(response) -> str:
    if response.status_code in (400, 401, 403, 404):
        return str(response.status_code)
    if response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")):
        return "login"
    if response.status_code in (200, 201, 204, 302, 429):
        return "ok"
    return f"unexpected {response.status_code}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_access(name, persona, records, personas):
    route = ROUTES[name]
    client = Client()
    if persona != "anonymous":
        client.force_login(personas[persona])
    url = reverse(name.split("#")[0], kwargs=route.kwargs(records))
    if route.data is None:
        response = getattr(client, route.method)(url)
    else:
        response = getattr(client, route.method)(
            url, route.data(records), content_type="application/json"
        )
    assert outcome(response) == route.expect[persona], getattr(response, "data", response)


@pytest.mark.parametrize("persona", PERSONAS)
def test_django_admin_is_for_admins_only(persona, records, personas):
    client = Client()
    if persona != "anonymous":
        client.force_login(personas[persona])
    for model in admin_site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        if persona == "admin":
            assert response.status_code == 200, url
        elif persona == "anonymous":
            assert outcome(response) == "login", url
        else:
            assert response.status_code == 302 and "/admin/login/" in response["Location"], url
