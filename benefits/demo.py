"""Demo coverage, prior authorisations and benefit applications for seed_demo: most
patients hold coverage (a few expired, some with a secondary plan), about one in twelve
has a prior authorisation and one in ten a benefit application in some state with its
document checklist and history. Bulk rows through carehub.bulk; the deadline reminders of
these rows are not written (the demo's outbox stays quiet)."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.utils import timezone

from benefits.models import (
    ApplicationTransition,
    BenefitApplication,
    Coverage,
    PriorAuthorisation,
    RequiredDocument,
)
from carehub.bulk import BulkTable, bulk_load, rows_in_batches
from patients.models import Patient

CHUNK = 5_000
PAYERS = [("MassHealth", "Standard"), ("Tufts Health Plan", "Together"),
          ("Medicare", "Part A and B"), ("Blue Cross", "HMO Blue")]  # fmt: skip
SERVICES = ["Home health aide", "Physical therapy", "Durable medical equipment",
            "Behavioral health intensive outpatient", "Skilled nursing visits"]  # fmt: skip
DOCUMENTS = ["Proof of identity", "Proof of address", "Proof of income"]
PATHS = {
    "not_started": ("not_started",),
    "gathering_documents": ("not_started", "gathering_documents"),
    "submitted": ("not_started", "gathering_documents", "submitted"),
    "pending_decision": ("not_started", "gathering_documents", "submitted", "pending_decision"),
    "approved": ("not_started", "gathering_documents", "submitted", "approved"),
    "denied": ("not_started", "gathering_documents", "submitted", "denied"),
}


def seed_for_patients(
    *, staff, patient_ids: list[int], rng: random.Random, progress: Callable[[int], object]
) -> None:
    managers = {t.team.pk: t.case_manager.pk for t in staff.teams}
    today = timezone.localdate()
    now = timezone.now()
    days = datetime.timedelta
    coverages = BulkTable(
        Coverage,
        ["patient_id", "payer", "plan_name", "member_id", "group_id", "subscriber_relationship",
         "subscriber_name", "order", "status", "effective_from", "effective_to", "created_at",
         "updated_at"],
    )  # fmt: skip
    authorisations = BulkTable(
        PriorAuthorisation,
        ["patient_id", "coverage_id", "service", "payer", "reference_number", "units_approved",
         "units_used", "valid_from", "valid_to", "notes", "created_at", "updated_at", "version"],
    )  # fmt: skip
    applications = BulkTable(
        BenefitApplication,
        ["patient_id", "program", "program_detail", "status", "status_reason", "submitted_on",
         "decision_due_on", "decision_on", "renewal_due_on", "appeal_deadline", "notes",
         "case_manager_id", "created_at", "updated_at", "version"],
    )  # fmt: skip
    documents = BulkTable(
        RequiredDocument, ["application_id", "name", "status", "received_on", "position"]
    )
    history = BulkTable(
        ApplicationTransition,
        ["application_id", "patient_id", "from_status", "to_status", "reason", "actor_id",
         "occurred_at"],
    )  # fmt: skip
    tables = [coverages, authorisations, applications, documents, history]
    batches = rows_in_batches(
        Patient.objects, patient_ids, CHUNK, "care_team_id", "insurance_member_id"
    )
    with bulk_load([t.model for t in tables]):
        for count, rows in batches:
            for patient_id, team_id, member_id in rows:
                coverage_id = None
                if rng.random() < 0.75:
                    payer, plan = rng.choice(PAYERS)
                    begun = today - days(rng.randint(30, 900))
                    ends = (
                        None
                        if rng.random() < 0.7
                        else max(begun, today + days(rng.randint(-60, 300)))
                    )
                    coverage_id = coverages.add_row(
                        (patient_id, payer, plan, member_id or f"M{patient_id:08d}", "",
                         "self", "", 1, "active", begun, ends, now, now)
                    )  # fmt: skip
                    if rng.random() < 0.1:
                        coverages.add_row(
                            (patient_id, "Medicare", "Part B", f"MB{patient_id:08d}", "",
                             "self", "", 2, "active", begun, None, now, now)
                        )  # fmt: skip
                if coverage_id and rng.random() < 0.08:
                    valid_from = today - days(rng.randint(10, 150))
                    approved = rng.choice([6, 12, 20, 40])
                    authorisations.add_row(
                        (patient_id, coverage_id, rng.choice(SERVICES), payer,
                         f"PA-{patient_id:07d}", approved, rng.randint(0, approved), valid_from,
                         today + days(rng.randint(-10, 120)), "", now, now, 1)
                    )  # fmt: skip
                manager = managers.get(team_id)
                if manager is None or rng.random() >= 0.1:
                    continue
                status = rng.choices(list(PATHS), weights=[5, 25, 15, 15, 30, 10])[0]
                program = rng.choice(["medicaid", "snap", "ssi_ssdi", "housing", "utility"])
                begun = today - days(rng.randint(20, 300))
                submitted = begun + days(7) if len(PATHS[status]) > 2 else None
                decided = (
                    min(today, submitted + days(rng.randint(10, 45)))
                    if status in ("approved", "denied")
                    else None
                )
                moment = timezone.make_aware(datetime.datetime.combine(begun, datetime.time(10)))
                application_id = applications.add_row(
                    (patient_id, program, "", status,
                     "Income over the limit." if status == "denied" else "", submitted,
                     submitted + days(45) if submitted else None, decided,
                     today + days(rng.randint(5, 330)) if status == "approved" else None,
                     decided + days(90) if status == "denied" else None, "", manager, moment,
                     moment, len(PATHS[status]))
                )  # fmt: skip
                received_share = 1.0 if submitted else rng.random()
                for position, name in enumerate(DOCUMENTS):
                    received = rng.random() < received_share
                    documents.add_row(
                        (application_id, name, "received" if received else "missing",
                         begun + days(3) if received else None, position)
                    )  # fmt: skip
                path = PATHS[status]
                for previous, current in zip(("", *path), path, strict=False):
                    history.add_row(
                        (application_id, patient_id, previous, current,
                         "Income over the limit." if current == "denied" else "", manager,
                         moment)
                    )  # fmt: skip
            for table in tables:
                table.flush()
            progress(count)
        for table in tables:
            table.finish()
