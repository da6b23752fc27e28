"""Every write to the patient registry. Views, admin actions and the API call these."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import TeamMembership, User
from carehub.transitions import InvalidTransition, StaleEdit, guarded_update, machine
from patients.hooks import WATCHED_FIELDS, patients_changed
from patients.models import (
    DUPLICATE_IDENTIFIER,
    Patient,
    PatientEvent,
    PatientEventKind,
    PatientIdentifier,
    PatientStatus,
)
from patients.selectors import patient_duplicates, patients_visible_to

__all__ = ["InvalidTransition", "PossibleDuplicate", "StaleEdit"]


class PossibleDuplicate(Exception):
    """A patient being registered may already exist."""

    def __init__(self, matches: list[Patient], hidden_count: int):
        super().__init__(_("This patient may already be registered."))
        self.matches = matches
        self.hidden_count = hidden_count


# Patient.status moves. "deceased" is final; a discharged patient can be readmitted.
PATIENT_STATUS = machine(
    "patient status",
    {
        PatientStatus.ACTIVE: {
            PatientStatus.INACTIVE,
            PatientStatus.DISCHARGED,
            PatientStatus.DECEASED,
        },
        PatientStatus.INACTIVE: {
            PatientStatus.ACTIVE,
            PatientStatus.DISCHARGED,
            PatientStatus.DECEASED,
        },
        PatientStatus.DISCHARGED: {PatientStatus.ACTIVE},
        PatientStatus.DECEASED: set(),
    },
    reason_required={PatientStatus.DISCHARGED, PatientStatus.DECEASED, PatientStatus.INACTIVE},
    choices=PatientStatus,
)

# Fields a user edits; status and version move only through the functions below.
EDITABLE_FIELDS = [
    "mrn", "given_name", "family_name", "date_of_birth", "sex", "phone", "email",
    "address_line", "city", "region", "postal_code", "time_zone", "preferred_language",
    "preferred_contact_method", "consent_phone", "consent_sms", "consent_email", "consent_mail",
    "insurance_payer", "insurance_member_id", "risk_level", "care_team",
    "primary_coordinator", "case_manager",
]  # fmt: skip


@transaction.atomic
def patient_register(*, by: User, data: dict, confirmed_not_duplicate: bool = False) -> Patient:
    """Register a patient, holding it back when it may duplicate an existing one."""
    patient = Patient(**{name: data[name] for name in EDITABLE_FIELDS if name in data})
    patient.full_clean()
    if not confirmed_not_duplicate:
        matches, hidden = patient_duplicates(
            user=by,
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth,
            mrn=patient.mrn,
            phone=str(patient.phone or ""),
            email=patient.email,
        )
        if matches or hidden:
            raise PossibleDuplicate(matches, hidden)
    try:
        with transaction.atomic():  # a savepoint: the race below leaves nothing written
            patient.save()
    except IntegrityError:
        # Another request registered the same MRN between full_clean() and this insert (two
        # posts at once): say what the form says for a taken MRN, not a 500 whose log line
        # would quote the value.
        patient.pk = None
        patient.validate_unique()
        patient.validate_constraints()
        raise ValidationError(_("This patient could not be registered: try again.")) from None
    PatientEvent.objects.create(patient=patient, kind=PatientEventKind.REGISTERED, actor=by)
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, by: User, data: dict, expected_version: int) -> Patient:
    """Apply the user's changes if nobody saved the patient since they loaded it."""
    candidate = Patient.objects.get(pk=patient.pk)
    changed = []
    for name in EDITABLE_FIELDS:
        if name in data and getattr(candidate, name) != data[name]:
            setattr(candidate, name, data[name])
            changed.append(name)
    candidate.full_clean()
    if not changed:
        if candidate.version != expected_version:
            raise StaleEdit(_("patient"))
        return candidate
    won = guarded_update(
        Patient.objects,
        pk=patient.pk,
        expected={"version": expected_version},
        changes={name: getattr(candidate, name) for name in changed},
    )
    if not won:
        raise StaleEdit(_("patient"))
    patient_edited(patient=candidate, by=by, changed=changed)
    candidate.refresh_from_db()
    return candidate


def patient_edited(*, patient: Patient, by: User, changed: list[str]) -> None:
    """What follows a saved edit of the ``changed`` fields, wherever it was made (the
    pages, the API, Django admin): the patient's event, and the dependent work (reminders
    ...) when a field it follows changed. In the edit's transaction."""
    if not changed:
        return
    # Field names only: values may be PHI and the history is shown to the whole team.
    PatientEvent.objects.create(
        patient=patient,
        kind=PatientEventKind.UPDATED,
        actor=by,
        to_value=", ".join(str(Patient._meta.get_field(name).verbose_name) for name in changed)[
            :200
        ],
    )
    if WATCHED_FIELDS.intersection(changed):
        patients_changed([patient.pk])


@transaction.atomic
def patient_set_status(
    *, patient: Patient, by: User, status: str, reason: str = "", expected_version: int
) -> Patient:
    """Move a patient to ``status`` (discharge, readmit, ...), recording who and why."""
    current = Patient.objects.get(pk=patient.pk)
    reason = PATIENT_STATUS.check(current=current.status, target=status, reason=reason)
    won = guarded_update(
        Patient.objects,
        pk=current.pk,
        expected={"status": current.status, "version": expected_version},
        changes={"status": status, "status_reason": reason},
    )
    if not won:
        raise StaleEdit(_("patient"))
    PatientEvent.objects.create(
        patient=current,
        kind=PatientEventKind.STATUS_CHANGED,
        actor=by,
        from_value=current.status,
        to_value=status,
        reason=reason,
    )
    patients_changed([current.pk])
    current.refresh_from_db()
    return current


@transaction.atomic
def related_person_save(*, patient: Patient, by: User, form_instance) -> None:
    """Add or change a caregiver or emergency contact."""
    form_instance.patient = patient
    form_instance.full_clean()
    form_instance.save()
    related_persons_edited(patient=patient, by=by)


@transaction.atomic
def related_person_remove(*, person, by: User) -> None:
    related_persons_edited(patient=person.patient, by=by)
    person.delete()


def related_persons_edited(*, patient: Patient, by: User) -> None:
    """What follows a saved change of the patient's contacts, wherever it was made (the
    pages, Django admin): the patient's "Contacts" event. In the change's transaction."""
    PatientEvent.objects.create(
        patient=patient, kind=PatientEventKind.UPDATED, actor=by, to_value=_("Contacts")
    )


@transaction.atomic
def identifier_add(
    *,
    patient: Patient,
    system: str,
    value: str,
    type_code: str = "",
    assigner: str = "",
    by: User,
) -> PatientIdentifier:
    """Give the patient an identifier of another system (a hospital's MRN, a payer's
    member id). System and value are read without their outer whitespace; a value another
    patient (or this one) already holds in that system is refused on ``value``."""
    identifier = PatientIdentifier(
        patient=patient,
        system=(system or "").strip(),
        value=(value or "").strip(),
        type_code=type_code or "",
        assigner=(assigner or "").strip(),
    )
    identifier.full_clean(validate_constraints=False)
    holder = (
        PatientIdentifier.objects.filter(system=identifier.system, value=identifier.value)
        .values_list("patient_id", flat=True)
        .first()
    )
    if holder is not None:
        raise ValidationError({"value": _duplicate_message(holder, patient)})
    try:
        with transaction.atomic():
            identifier.save()
    except IntegrityError as duplicate:  # added by someone else in the meantime
        raise ValidationError({"value": DUPLICATE_IDENTIFIER}) from duplicate
    identifiers_edited(patient=patient, by=by)
    return identifier


def _duplicate_message(holder_id: int, patient: Patient) -> str:
    if holder_id == patient.pk:
        return _("This patient already has this identifier.")
    return str(DUPLICATE_IDENTIFIER)


@transaction.atomic
def identifier_remove(*, identifier: PatientIdentifier, by: User) -> None:
    identifiers_edited(patient=identifier.patient, by=by)
    identifier.delete()


def identifiers_edited(*, patient: Patient, by: User) -> None:
    """What follows a saved change of the patient's identifiers, wherever it was made (the
    pages, the API, Django admin): the patient's "Identifiers" event."""
    PatientEvent.objects.create(
        patient=patient, kind=PatientEventKind.UPDATED, actor=by, to_value=_("Identifiers")
    )


@transaction.atomic
def patient_reassign(
    *,
    versions: Mapping[int, int],
    to: User,
    by: User,
    move_open_tasks: bool = False,
    reason: str = "",
) -> list[Patient]:
    """Give one or many patients a new primary coordinator, all or nothing.

    ``versions`` maps each patient's id to the version the case manager saw. The new
    coordinator must be an active member of each patient's care team. Each move is a
    guarded UPDATE (version and previous coordinator unchanged, else StaleEdit and nothing
    is saved) and a REASSIGNED row in the patient's history. With ``move_open_tasks`` the
    open tasks the previous coordinator held for the patient move too
    (careplans.services.tasks_move_with_patient), in the same transaction.
    """
    # careplans builds on patients; imported here so patients stays importable alone.
    from careplans.services import tasks_move_with_patient

    if not versions:
        raise ValidationError(_("Choose at least one patient."))
    if not by.has_perm("patients.reassign_patient"):
        raise PermissionDenied
    patients = list(
        patients_visible_to(by)
        .filter(pk__in=list(versions))
        .select_related("primary_coordinator")
        .order_by("pk")
    )
    if len(patients) != len(versions):
        raise PermissionDenied  # an id outside the user's scope: the interfaces 404 first
    to_teams = set(
        TeamMembership.objects.filter(user_id=to.pk, user__is_active=True).values_list(
            "team_id", flat=True
        )
    )
    errors = []
    for patient in patients:
        if patient.care_team_id not in to_teams:
            errors.append(
                _("%(coordinator)s is not an active member of the care team of patient #%(id)s.")
                % {"coordinator": to, "id": patient.pk}
            )
        elif patient.primary_coordinator_id == to.pk:
            errors.append(
                _("%(coordinator)s already coordinates patient #%(id)s.")
                % {"coordinator": to, "id": patient.pk}
            )
    if errors:
        raise ValidationError(errors)
    reason = reason.strip()
    for patient in patients:
        previous = patient.primary_coordinator
        won = guarded_update(
            Patient.objects,
            pk=patient.pk,
            expected={
                "version": versions[patient.pk],
                "primary_coordinator_id": patient.primary_coordinator_id,
            },
            changes={"primary_coordinator": to},
        )
        if not won:
            raise StaleEdit(_("patient"))
        note = reason
        if move_open_tasks:
            moved = tasks_move_with_patient(
                patient=patient, from_user_id=patient.primary_coordinator_id, to=to
            )
            moved_note = ngettext(
                "%(count)d open task moved with the patient.",
                "%(count)d open tasks moved with the patient.",
                moved,
            ) % {"count": moved}
            note = f"{reason}\n{moved_note}" if reason else moved_note
        PatientEvent.objects.create(
            patient=patient,
            kind=PatientEventKind.REASSIGNED,
            actor=by,
            from_value=str(previous or "")[:200],
            to_value=str(to)[:200],
            reason=note,
        )
    patients_changed(p.pk for p in patients)
    return list(Patient.objects.filter(pk__in=[p.pk for p in patients]).order_by("pk"))
