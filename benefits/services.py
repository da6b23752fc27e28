"""Every write to coverage, authorisations, applications and their documents except
application status moves (benefits.transitions). Interfaces authorise first."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from benefits.deadlines import application_reminders_sync, authorisation_reminders_sync
from benefits.models import (
    BenefitApplication,
    BenefitProgram,
    Coverage,
    DocumentStatus,
    PriorAuthorisation,
    RequiredDocument,
)
from benefits.transitions import StaleEdit, record_created
from carehub.transitions import guarded_update
from patients.models import Patient
from reminders.services import reminders_cancel_for

__all__ = ["StaleEdit"]

COVERAGE_FIELDS = [
    "payer",
    "plan_name",
    "member_id",
    "group_id",
    "subscriber_relationship",
    "subscriber_name",
    "order",
    "status",
    "effective_from",
    "effective_to",
]
AUTHORISATION_FIELDS = [
    "coverage",
    "service",
    "payer",
    "reference_number",
    "units_approved",
    "units_used",
    "valid_from",
    "valid_to",
    "notes",
]
APPLICATION_FIELDS = [
    "program_detail",
    "decision_due_on",
    "renewal_due_on",
    "appeal_deadline",
    "notes",
    "case_manager",
]


def default_documents(program: str) -> list[str]:
    """The usual checklist for a program; the case manager adds or removes lines."""
    common = [_("Proof of identity"), _("Proof of address"), _("Proof of income")]
    extra = {
        BenefitProgram.MEDICAID: [
            _("Social Security number"),
            _("Proof of citizenship or immigration status"),
        ],
        BenefitProgram.SNAP: [_("Household expenses (rent, utilities, child care)")],
        BenefitProgram.SSI_SSDI: [
            _("Medical records of the disabling condition"),
            _("Work history"),
        ],
        BenefitProgram.HOUSING: [_("Current lease or eviction notice")],
        BenefitProgram.UTILITY: [_("Recent utility bill or shut-off notice")],
    }
    return common + extra.get(program, [])


def _refuse_if_patient_closed(patient: Patient) -> None:
    if not patient.is_open:
        raise ValidationError(
            _("This patient is %(status)s: no new records.")
            % {"status": patient.get_status_display().lower()}
        )


def _pick(data: dict, names: list[str]) -> dict:
    return {name: data[name] for name in names if name in data}


def _edit_versioned(
    current: models.Model,
    *,
    fields: list[str],
    data: dict,
    expected_version: int,
    what: str,
    check: Callable[[models.Model], None] | None = None,
) -> list[str]:
    """Apply ``data``'s ``fields`` to ``current`` (loaded just now) and save them only if
    the record is still at ``expected_version``: else StaleEdit, nothing changed. ``check``
    refuses a combination before the model's own validation. Returns the fields changed."""
    if current.version != expected_version:
        raise StaleEdit(what)
    changed = [n for n in fields if n in data and getattr(current, n) != data[n]]
    for name in changed:
        setattr(current, name, data[name])
    if check is not None:
        check(current)
    current.full_clean()
    if changed and not guarded_update(
        type(current).objects,
        pk=current.pk,
        expected={"version": expected_version},
        changes={name: getattr(current, name) for name in changed},
    ):
        raise StaleEdit(what)
    return changed


# --- Coverage --------------------------------------------------------------------------------


@transaction.atomic
def coverage_create(*, patient: Patient, by: User, data: dict) -> Coverage:
    _refuse_if_patient_closed(patient)
    coverage = Coverage(patient=patient, **_pick(data, COVERAGE_FIELDS))
    coverage.full_clean()
    coverage.save()
    return coverage


@transaction.atomic
def coverage_update(*, coverage: Coverage, by: User, data: dict, expected_version: int) -> Coverage:
    """Edit the coverage the user loaded: a version that is no longer current (another
    edit came first) is refused and changes nothing."""
    current = Coverage.objects.get(pk=coverage.pk)
    if _edit_versioned(
        current,
        fields=COVERAGE_FIELDS,
        data=data,
        expected_version=expected_version,
        what=_("coverage"),
    ):
        current.refresh_from_db()
    return current


# --- Prior authorisations ----------------------------------------------------------------------


def _refuse_another_patients_coverage(authorisation: PriorAuthorisation) -> None:
    if authorisation.coverage_id and authorisation.coverage.patient_id != authorisation.patient_id:
        raise ValidationError({"coverage": _("This coverage belongs to another patient.")})


def _authorisation_recipient(authorisation: PriorAuthorisation, by: User) -> User:
    return authorisation.patient.case_manager or by


@transaction.atomic
def authorisation_create(*, patient: Patient, by: User, data: dict) -> PriorAuthorisation:
    """Record an authorisation; its case manager is reminded before it runs out."""
    _refuse_if_patient_closed(patient)
    authorisation = PriorAuthorisation(patient=patient, **_pick(data, AUTHORISATION_FIELDS))
    _refuse_another_patients_coverage(authorisation)
    authorisation.full_clean()
    authorisation.save()
    authorisation_reminders_sync(
        authorisation, recipient=_authorisation_recipient(authorisation, by)
    )
    return authorisation


@transaction.atomic
def authorisation_update(
    *, authorisation: PriorAuthorisation, by: User, data: dict, expected_version: int
) -> PriorAuthorisation:
    """Edit (units used, a new end date ...); the reminder follows the end date."""
    current = PriorAuthorisation.objects.select_related("patient__case_manager").get(
        pk=authorisation.pk
    )
    if _edit_versioned(
        current,
        fields=AUTHORISATION_FIELDS,
        data=data,
        expected_version=expected_version,
        what=_("authorisation"),
        check=_refuse_another_patients_coverage,
    ):
        current.refresh_from_db()
    authorisation_reminders_sync(current, recipient=_authorisation_recipient(current, by))
    return current


# --- Benefit applications --------------------------------------------------------------------


@transaction.atomic
def application_create(
    *,
    patient: Patient,
    by: User,
    program: str,
    case_manager: User,
    data: dict | None = None,
    documents: list[str] | None = None,
) -> BenefitApplication:
    """Start an application (not started) with its document checklist, every line missing."""
    _refuse_if_patient_closed(patient)
    application = BenefitApplication(
        patient=patient,
        program=program,
        **{**_pick(data or {}, APPLICATION_FIELDS), "case_manager": case_manager},
    )
    application.full_clean()
    application.save()
    names = default_documents(program) if documents is None else documents
    rows = [
        RequiredDocument(application=application, name=name.strip()[:200], position=position)
        for position, name in enumerate(dict.fromkeys(n.strip() for n in names if n.strip()))
    ]
    RequiredDocument.objects.bulk_create(rows)
    record_created(application, by=by)
    application_reminders_sync(application)
    return application


@transaction.atomic
def application_update(
    *, application: BenefitApplication, by: User, data: dict, expected_version: int
) -> BenefitApplication:
    """Edit dates, notes and the case manager; the reminders follow the dates."""
    current = BenefitApplication.objects.get(pk=application.pk)
    changed = _edit_versioned(
        current,
        fields=APPLICATION_FIELDS,
        data=data,
        expected_version=expected_version,
        what=_("application"),
    )
    current = BenefitApplication.objects.select_related("patient", "case_manager").get(
        pk=current.pk
    )
    if "case_manager" in changed:
        # The reminders go to the new case manager: schedule them afresh.
        reminders_cancel_for(current)
    application_reminders_sync(current)
    return current


@transaction.atomic
def document_add(*, application: BenefitApplication, by: User, name: str) -> RequiredDocument:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the document.")})
    last = application.documents.order_by("-position").values_list("position", flat=True).first()
    document = RequiredDocument(
        application=application, name=name, position=0 if last is None else last + 1
    )
    document.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError as duplicate:
        raise ValidationError({"name": _("This document is on the checklist already.")}) from (
            duplicate
        )
    return document


@transaction.atomic
def document_mark(
    *, document: RequiredDocument, by: User, received: bool, on: datetime.date | None = None
) -> RequiredDocument:
    """Tick a document received (on a date) or back to missing."""
    current = RequiredDocument.objects.select_for_update().get(pk=document.pk)
    if received:
        on = on or timezone.localdate()
        if on > timezone.localdate():
            raise ValidationError({"received_on": _("This cannot be in the future.")})
        current.status, current.received_on = DocumentStatus.RECEIVED, on
    else:
        current.status, current.received_on = DocumentStatus.MISSING, None
    current.save(update_fields=["status", "received_on"])
    return current


def checklist_summary(documents: list[RequiredDocument]) -> dict:
    received = [d for d in documents if d.status == DocumentStatus.RECEIVED]
    missing = [d for d in documents if d.status == DocumentStatus.MISSING]
    return {"received": received, "missing": missing, "complete": bool(documents) and not missing}
