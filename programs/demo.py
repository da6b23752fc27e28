"""Demo programs, enrolments and attendance for seed_demo: each team runs a substance use
programme and a transitional care programme; about one active patient in twelve is in
one, with the transitions the enrolment machine would have recorded and a few weeks of
sessions (some below the attendance threshold). Bulk rows through carehub.bulk."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.utils import timezone

from carehub.bulk import BulkTable, bulk_load, rows_in_batches
from patients.models import Patient, PatientStatus
from programs.models import Enrolment, EnrolmentTransition, Program, ProgramKind, Session

CHUNK = 5_000
PROGRAMS = [
    ("Adolescent substance use recovery", ProgramKind.SUBSTANCE_USE, 12, 120,
     "Ages 12 to 21 with a substance use diagnosis; family takes part."),
    ("Transitional care after discharge", ProgramKind.TRANSITIONAL_CARE, 4, 30,
     "Adults discharged from hospital in the last 14 days."),
]  # fmt: skip
PATHS = {
    "referred": ("referred",),
    "enrolled": ("referred", "enrolled"),
    "paused": ("referred", "enrolled", "paused"),
    "completed": ("referred", "enrolled", "completed"),
    "disenrolled": ("referred", "enrolled", "disenrolled"),
}
REASONS = {"paused": "In hospital.", "disenrolled": "Moved out of the area."}


def _programs(staff) -> dict[int, list[Program]]:
    by_team: dict[int, list[Program]] = {}
    for demo_team in staff.teams:
        for name, kind, sessions, days, eligibility in PROGRAMS:
            program, _created = Program.objects.get_or_create(
                name=f"{name} ({demo_team.team.name})",
                defaults={
                    "kind": kind,
                    "required_sessions": sessions,
                    "complete_within_days": days,
                    "eligibility_notes": eligibility,
                    "team": demo_team.team,
                },
            )
            by_team.setdefault(demo_team.team.pk, []).append(program)
    return by_team


def seed_for_patients(
    *, staff, patient_ids: list[int], rng: random.Random, progress: Callable[[int], object]
) -> None:
    programs = _programs(staff)
    managers = {t.team.pk: t.case_manager.pk for t in staff.teams}
    today = timezone.localdate()
    enrolments = BulkTable(
        Enrolment,
        ["patient_id", "program_id", "status", "status_reason", "referred_on", "start_date",
         "end_date", "case_manager_id", "attended_count", "missed_count", "excused_count",
         "created_at", "updated_at", "version"],
    )  # fmt: skip
    transitions = BulkTable(
        EnrolmentTransition,
        ["enrolment_id", "patient_id", "from_status", "to_status", "reason", "actor_id",
         "occurred_at"],
    )  # fmt: skip
    sessions = BulkTable(Session, ["enrolment_id", "held_on", "status", "topic", "note",
                                   "recorded_by_id", "created_at"])  # fmt: skip
    tables = [enrolments, transitions, sessions]
    active = Patient.objects.filter(status=PatientStatus.ACTIVE)
    with bulk_load([t.model for t in tables]):
        for count, rows in rows_in_batches(active, patient_ids, CHUNK, "care_team_id"):
            for patient_id, team_id in rows:
                if rng.random() >= 0.08 or team_id not in managers:
                    continue
                program = rng.choice(programs[team_id])
                manager = managers[team_id]
                status = rng.choices(list(PATHS), weights=[10, 60, 8, 14, 8])[0]
                referred = today - datetime.timedelta(days=rng.randint(20, 200))
                started = referred + datetime.timedelta(days=rng.randint(1, 10))
                weeks = max(0, min(program.required_sessions, (today - started).days // 7))
                held = [] if status == "referred" else rng.sample(range(weeks), min(weeks, 10))
                rate = rng.choice([0.95, 0.85, 0.7, 0.5])
                marks = [
                    "attended"
                    if rng.random() < rate
                    else rng.choice(["missed", "missed", "excused"])
                    for _ in held
                ]
                moment = timezone.make_aware(datetime.datetime.combine(referred, datetime.time(9)))
                enrolment_id = enrolments.add(
                    patient_id=patient_id,
                    program_id=program.pk,
                    status=status,
                    status_reason=REASONS.get(status, ""),
                    referred_on=referred,
                    start_date=None if status == "referred" else started,
                    end_date=today if status in ("completed", "disenrolled") else None,
                    case_manager_id=manager,
                    attended_count=marks.count("attended"),
                    missed_count=marks.count("missed"),
                    excused_count=marks.count("excused"),
                    created_at=moment,
                    updated_at=moment,
                    version=len(PATHS[status]),
                )
                path = PATHS[status]
                for previous, current in zip(("", *path), path, strict=False):
                    transitions.add_row(
                        (enrolment_id, patient_id, previous, current,
                         REASONS.get(current, "") if previous else "", manager, moment)
                    )  # fmt: skip
                for week, mark in zip(sorted(held), marks, strict=True):
                    sessions.add_row(
                        (enrolment_id, started + datetime.timedelta(weeks=week), mark,
                         f"Session {week + 1}", "", manager, moment)
                    )  # fmt: skip
            for table in tables:
                table.flush()
            progress(count)
        for table in tables:
            table.finish()
