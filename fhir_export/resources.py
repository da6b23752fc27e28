"""CareHub records as FHIR R4 resources (plain dicts; tests validate them with the
fhir.resources package).

- Patient, CarePlan, Goal and Task (care plan activities and follow-ups) map one to one.
- A referral is a ServiceRequest with its fulfilment Task (id ``referral-<id>``, from the
  moment it is sent); the Task's status is the detail of where the referral stands.
- A care team is a CareTeam; the directory is Organization and HealthcareService.
- A stay or visit elsewhere is an Encounter (US Core), its diagnoses as reasonCode.
- A program enrolment is an EpisodeOfCare (``episode_status`` maps its status); the
  insurance a patient holds is a Coverage, its payer named (no Organization resource).
Staff appear by name only (``display``): CareHub exports no Practitioner resources.
Empty values are left out: FHIR forbids empty strings, lists and objects.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from accounts.models import CareTeam
from benefits.models import Coverage, SubscriberRelationship
from careplans.models import CarePlan, Goal, Task
from encounters.models import Encounter, EncounterClass
from patients.models import IdentifierType, Language, Patient, PatientIdentifier, PatientStatus
from programs.models import Enrolment, EnrolmentStatus, EnrolmentTransition, ProgramKind
from referrals.models import (
    OutcomeCode,
    Referral,
    ReferralStatus,
    Service,
    ServiceCategory,
    split_languages,
)

MRN_SYSTEM = "urn:carehub:mrn"
OUTCOME_SYSTEM = "urn:carehub:referral-outcome"
BCP47 = "urn:ietf:bcp:47"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_PRIORITY = "http://terminology.hl7.org/CodeSystem/goal-priority"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
PROGRAM_KIND_SYSTEM = "urn:carehub:program-kind"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
VISIT_NUMBER_SYSTEM = "urn:carehub:visit-number"


def prune(value):
    """Drop None, empty strings, lists and dicts, recursively."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        pruned = [prune(v) for v in value]
        return [v for v in pruned if v not in (None, "", [], {})]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def ref(resource_type: str, pk, display: str = "") -> dict:
    return {"reference": f"{resource_type}/{pk}", "display": display}


def person(user) -> dict | None:
    return {"display": str(user)} if user is not None else None


def meta(record) -> dict:
    return {
        "versionId": str(getattr(record, "version", "") or ""),
        "lastUpdated": record.updated_at,
    }


def text(value: str) -> dict:
    return {"text": value}


# --- Patient and care team -------------------------------------------------------------------


def patient(record: Patient) -> dict:
    telecom = []
    if record.phone:
        telecom.append({"system": "phone", "value": str(record.phone)})
    if record.email:
        telecom.append({"system": "email", "value": record.email})
    language = record.preferred_language
    return prune(
        {
            "resourceType": "Patient",
            "id": str(record.pk),
            "meta": meta(record),
            "identifier": [
                {
                    "use": "usual",
                    "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}]},
                    "system": MRN_SYSTEM,
                    "value": record.mrn,
                },
                *(identifier(i) for i in record.identifiers.all()),
            ],
            "active": record.status == PatientStatus.ACTIVE,
            "name": [
                {"use": "official", "family": record.family_name, "given": [record.given_name]}
            ],
            "telecom": telecom,
            "gender": record.sex,
            "birthDate": record.date_of_birth,
            "deceasedBoolean": record.status == PatientStatus.DECEASED,
            "address": [
                {
                    "line": [record.address_line],
                    "city": record.city,
                    "state": record.region,
                    "postalCode": record.postal_code,
                }
            ],
            "communication": [
                {
                    "language": {
                        "coding": [{"system": BCP47, "code": language}],
                        "text": str(Language(language).label),
                    },
                    "preferred": True,
                }
            ]
            if language != Language.OTHER
            else [],
        }
    )


def identifier(record: PatientIdentifier) -> dict:
    """An identifier of another system (the MRN is CareHub's own, above)."""
    coding = None
    if record.type_code:
        coding = {
            "coding": [
                {
                    "system": IDENTIFIER_TYPE,
                    "code": record.type_code,
                    "display": str(IdentifierType(record.type_code).label),
                }
            ]
        }
    return {
        "type": coding,
        "system": record.system,
        "value": record.value,
        "assigner": {"display": record.assigner} if record.assigner else None,
    }


def care_team(team: CareTeam, *, patient_record: Patient | None = None) -> dict:
    """The team; with a patient, its coordinator and case manager for that patient."""
    participants = []
    if patient_record is not None:
        for role, user in (
            ("Primary coordinator", patient_record.primary_coordinator),
            ("Case manager", patient_record.case_manager),
        ):
            if user is not None:
                participants.append({"role": [text(role)], "member": person(user)})
    return prune(
        {
            "resourceType": "CareTeam",
            "id": str(team.pk),
            "status": "active" if team.is_active else "inactive",
            "name": team.name,
            "participant": participants,
        }
    )


# --- Care plans, goals, tasks -----------------------------------------------------------------


def care_plan(record: CarePlan, *, goal_ids=(), task_ids=()) -> dict:
    needs = list(record.needs.all())
    return prune(
        {
            "resourceType": "CarePlan",
            "id": str(record.pk),
            "meta": meta(record),
            "status": record.status,
            "intent": "plan",
            "category": [
                text(label) for label in sorted({n.get_category_display() for n in needs})
            ],
            "title": record.title,
            "description": record.description,
            "subject": ref("Patient", record.patient_id),
            "period": {"start": record.period_start, "end": record.period_end},
            "created": record.created_at,
            "author": person(record.author),
            "careTeam": [ref("CareTeam", record.patient.care_team_id)],
            "addresses": [{"display": n.description} for n in needs],
            "goal": [ref("Goal", pk) for pk in goal_ids],
            "activity": [{"reference": ref("Task", pk)} for pk in task_ids],
        }
    )


def goal(record: Goal, *, progress=()) -> dict:
    achievement = getattr(record, "achievement_status", None)
    target = {
        "measure": text(record.target_measure) if record.target_measure else None,
        "detailQuantity": {"value": record.target_value, "unit": record.target_unit}
        if record.target_value is not None
        else None,
        "dueDate": record.target_date,
    }
    return prune(
        {
            "resourceType": "Goal",
            "id": str(record.pk),
            "meta": meta(record),
            "lifecycleStatus": record.status,
            "achievementStatus": {"coding": [{"system": GOAL_ACHIEVEMENT, "code": achievement}]}
            if achievement
            else None,
            "category": [text(record.get_category_display())],
            "priority": {"coding": [{"system": GOAL_PRIORITY, "code": record.priority}]},
            "description": text(record.description),
            "subject": ref("Patient", record.care_plan.patient_id),
            "target": [target],
            "statusDate": record.updated_at.date(),
            "note": [
                {"time": entry.created_at, "text": entry.note}
                for entry in progress
                if entry.note.strip()
            ],
        }
    )


def task(record: Task) -> dict:
    return prune(
        {
            "resourceType": "Task",
            "id": str(record.pk),
            "meta": meta(record),
            "status": record.status,
            "intent": "plan" if record.care_plan_id else "order",
            "priority": record.priority,
            "description": record.description,
            "basedOn": [ref("CarePlan", record.care_plan_id)] if record.care_plan_id else [],
            "focus": ref("Goal", record.goal_id) if record.goal_id else None,
            "for": ref("Patient", record.patient_id),
            "authoredOn": record.created_at,
            "lastModified": record.updated_at,
            "requester": person(record.created_by),
            "owner": person(record.assignee),
            "restriction": {"period": {"end": record.due_at}},
            "executionPeriod": {"end": record.completed_at} if record.completed_at else None,
            "note": [{"text": record.completion_note}] if record.completion_note else [],
        }
    )


# --- Referrals: ServiceRequest and its fulfilment Task ------------------------------------------


def fulfilment_task_id(referral_pk: int) -> str:
    return f"referral-{referral_pk}"


def _recipient(record: Referral) -> dict:
    if record.service_id:
        return ref("HealthcareService", record.service_id, record.service.name)
    return {"display": record.recipient_name}


def service_request(record: Referral) -> dict:
    needs = [text(label) for label in record.need_labels]
    return prune(
        {
            "resourceType": "ServiceRequest",
            "id": str(record.pk),
            "meta": meta(record),
            "status": record.fhir_request_status,
            "intent": "order",
            "priority": record.priority,
            "category": [text(record.service.get_category_display())] if record.service_id else [],
            "code": text(record.service.name if record.service_id else record.recipient_name),
            "subject": ref("Patient", record.patient_id),
            "authoredOn": record.sent_at or record.created_at,
            "requester": person(record.referred_by),
            "performer": [_recipient(record)],
            "reasonCode": [text(record.reason), *needs],
            "occurrenceDateTime": record.appointment_at,
            "replaces": [ref("ServiceRequest", record.rerouted_from_id)]
            if record.rerouted_from_id
            else [],
        }
    )


def fulfilment_task(record: Referral) -> dict | None:
    """The receiving service's side; none while the referral is a draft."""
    if not record.fhir_task_status:
        return None
    output = []
    if record.outcome_code:
        output.append(
            {
                "type": text("outcome"),
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": OUTCOME_SYSTEM,
                            "code": record.outcome_code,
                            "display": str(OutcomeCode(record.outcome_code).label),
                        }
                    ],
                    "text": record.outcome_note,
                },
            }
        )
    return prune(
        {
            "resourceType": "Task",
            "id": fulfilment_task_id(record.pk),
            "meta": meta(record),
            "status": record.fhir_task_status,
            "businessStatus": text(str(ReferralStatus(record.status).label)),
            "statusReason": text(record.status_reason) if record.status_reason else None,
            "intent": "order",
            "priority": record.priority,
            "basedOn": [ref("ServiceRequest", record.pk)],
            "focus": ref("ServiceRequest", record.pk),
            "for": ref("Patient", record.patient_id),
            "authoredOn": record.sent_at,
            "lastModified": record.updated_at,
            "requester": person(record.referred_by),
            "owner": _recipient(record),
            "restriction": {"period": {"end": record.response_due_at}},
            "output": output,
        }
    )


# --- Programs and coverage ---------------------------------------------------------------------

# EpisodeOfCare.status for each enrolment status. A referral not yet taken up is
# "planned" (eligibility is being looked at); disenrolment is "finished" once the episode
# had started and "cancelled" when it never did (episode_status).
EPISODE_STATUS = {
    EnrolmentStatus.REFERRED: "planned",
    EnrolmentStatus.ENROLLED: "active",
    EnrolmentStatus.PAUSED: "onhold",
    EnrolmentStatus.COMPLETED: "finished",
}


def episode_status(status: str, *, started: bool) -> str:
    if status == EnrolmentStatus.DISENROLLED:
        return "finished" if started else "cancelled"
    return EPISODE_STATUS[status]


def episode_of_care(record: Enrolment, *, transitions: list[EnrolmentTransition] = ()) -> dict:
    """``transitions`` oldest first: every status before the current one, with its period,
    becomes statusHistory."""
    moves = list(transitions)
    history = [
        {
            "status": episode_status(move.to_status, started=True),
            "period": {"start": move.occurred_at, "end": following.occurred_at},
        }
        for move, following in zip(moves, moves[1:], strict=False)
    ]
    program = record.program
    return prune(
        {
            "resourceType": "EpisodeOfCare",
            "id": str(record.pk),
            "meta": meta(record),
            "status": episode_status(record.status, started=record.start_date is not None),
            "statusHistory": history,
            "type": [
                {
                    "coding": [
                        {
                            "system": PROGRAM_KIND_SYSTEM,
                            "code": program.kind,
                            "display": str(ProgramKind(program.kind).label),
                        }
                    ],
                    "text": program.name,
                }
            ],
            "patient": ref("Patient", record.patient_id),
            "period": {"start": record.start_date, "end": record.end_date},
            "careManager": person(record.case_manager),
        }
    )


def coverage(record: Coverage) -> dict:
    classes = [
        {
            "type": {"coding": [{"system": COVERAGE_CLASS, "code": code}]},
            "value": value,
            "name": name,
        }
        for code, value, name in (
            ("plan", record.plan_name, record.plan_name),
            ("group", record.group_id, ""),
        )
        if value
    ]
    is_self = record.subscriber_relationship == SubscriberRelationship.SELF
    if is_self:
        subscriber = ref("Patient", record.patient_id)
    else:
        subscriber = {"display": record.subscriber_name} if record.subscriber_name else None
    return prune(
        {
            "resourceType": "Coverage",
            "id": str(record.pk),
            "meta": meta(record),
            "identifier": [
                {
                    "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MB"}]},
                    "value": record.member_id,
                }
            ],
            "status": record.status,
            "subscriber": subscriber,
            "subscriberId": record.member_id if is_self else "",
            "beneficiary": ref("Patient", record.patient_id),
            "relationship": {
                "coding": [
                    {"system": SUBSCRIBER_RELATIONSHIP, "code": record.subscriber_relationship}
                ]
            },
            "period": {"start": record.effective_from, "end": record.effective_to},
            "payor": [{"display": record.payer}],
            "class": classes,
            "order": record.order,
        }
    )


# --- The directory ------------------------------------------------------------------------------


def organization(record) -> dict:
    telecom = [
        {"system": system, "value": value}
        for system, value in (
            ("phone", record.phone),
            ("email", record.email),
            ("url", record.website),
        )
        if value
    ]
    return prune(
        {
            "resourceType": "Organization",
            "id": str(record.pk),
            "active": record.is_active,
            "name": record.name,
            "telecom": telecom,
        }
    )


def healthcare_service(record: Service) -> dict:
    telecom = [
        {"system": system, "value": value}
        for system, value in (
            ("phone", record.phone),
            ("email", record.email),
            ("url", record.website),
        )
        if value
    ]
    address = record.address_line and ", ".join(
        part
        for part in (record.address_line, record.city, record.region, record.postal_code)
        if part
    )
    return prune(
        {
            "resourceType": "HealthcareService",
            "id": str(record.pk),
            "active": record.is_active and record.organization.is_active,
            "providedBy": ref("Organization", record.organization_id, record.organization.name),
            "category": [text(str(ServiceCategory(record.category).label))],
            "name": record.name,
            "comment": record.description,
            "extraDetails": f"Address: {address}" if address else None,
            "telecom": telecom,
            "eligibility": [{"comment": record.eligibility_notes}]
            if record.eligibility_notes
            else [],
            "communication": [
                {"coding": [{"system": BCP47, "code": code}]}
                for code in split_languages(record.languages)
            ],
            "referralMethod": [text("email")] if record.accepts_referrals and record.email else [],
            "availabilityExceptions": record.hours,
        }
    )


# --- Encounters ----------------------------------------------------------------------------


def encounter(record: Encounter) -> dict:
    """A stay or visit elsewhere (US Core Encounter): class, a type in words, the period,
    the attending practitioner by name, diagnoses as reasonCode, the disposition."""
    klass = EncounterClass(record.encounter_class)
    visit = (
        f"{record.facility_key}/{record.visit_number}"
        if record.facility_key
        else record.visit_number
    )
    return prune(
        {
            "resourceType": "Encounter",
            "id": str(record.pk),
            "meta": {"lastUpdated": record.updated_at},
            "identifier": [{"system": VISIT_NUMBER_SYSTEM, "value": visit}] if visit else [],
            "status": record.status,
            "class": {"system": ACT_CODE, "code": klass.value, "display": str(klass.label)},
            "type": [text(str(klass.label))],
            "subject": ref("Patient", record.patient_id),
            "participant": [{"individual": {"display": record.attending}}]
            if record.attending
            else [],
            "period": {"start": record.admitted_at, "end": record.discharged_at},
            "reasonCode": ([text(record.reason)] if record.reason else [])
            + [
                {
                    "coding": [
                        {"system": d.get("system"), "code": d.get("code"), "display": d.get("text")}
                    ]
                    if d.get("code")
                    else [],
                    "text": d.get("text"),
                }
                for d in record.diagnoses
            ],
            "hospitalization": {"dischargeDisposition": text(record.discharge_disposition)}
            if record.discharge_disposition
            else {},
            "location": [{"location": {"display": record.location}}] if record.location else [],
            "serviceProvider": {"display": record.facility} if record.facility else None,
        }
    )
