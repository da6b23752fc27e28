"""What $everything returns for one patient, in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from accounts.models import User
from benefits.models import Coverage
from careplans.models import CarePlan, Goal, GoalProgress, Task
from encounters.models import Encounter
from fhir_export import resources
from patients.models import Patient
from programs.models import Enrolment, EnrolmentTransition
from referrals.models import Referral


@dataclass
class Everything:
    matches: list[dict] = field(default_factory=list)  # the patient's own records
    included: list[dict] = field(default_factory=list)  # what they refer to (team, services)


# Each kind of record, with the permission that reads it one at a time (the access_*
# functions): $everything returns no more than those reads would.
VIEW_PERMS = {
    "plans": "careplans.view_careplan",
    "goals": "careplans.view_goal",
    "tasks": "careplans.view_task",
    "referrals": "referrals.view_referral",
    "enrolments": "programs.view_enrolment",
    "coverages": "benefits.view_coverage",
    "encounters": "encounters.view_encounter",
}


def patient_everything(patient: Patient, user: User) -> Everything:
    """The patient, care plans, goals, tasks, referrals (ServiceRequest + Task), program
    enrolments (EpisodeOfCare, with their status history), coverage and encounters, and the care team,
    services and organisations they refer to: each kind the user may view. Thirteen queries
    at most."""
    allowed = {kind for kind, perm in VIEW_PERMS.items() if user.has_perm(perm)}

    def kind(name: str, queryset) -> list:
        return list(queryset) if name in allowed else []

    plans = kind(
        "plans",
        CarePlan.objects.filter(patient=patient)
        .select_related("author", "patient")
        .prefetch_related("needs")
        .order_by("pk"),
    )
    goals = kind(
        "goals",
        Goal.objects.filter(care_plan__patient=patient)
        .select_related("care_plan")
        .with_achievement()
        .prefetch_related(
            Prefetch("progress", queryset=GoalProgress.objects.order_by("created_at", "pk"))
        )
        .order_by("pk"),
    )
    tasks = kind(
        "tasks",
        Task.objects.filter(patient=patient)
        .select_related("assignee", "created_by")
        .order_by("pk"),
    )
    referrals = kind(
        "referrals",
        Referral.objects.filter(patient=patient)
        .select_related("service__organization", "referred_by")
        .order_by("pk"),
    )
    enrolments = kind(
        "enrolments",
        Enrolment.objects.filter(patient=patient)
        .select_related("program", "case_manager")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=EnrolmentTransition.objects.order_by("occurred_at", "pk"),
            )
        )
        .order_by("pk"),
    )
    coverages = kind("coverages", Coverage.objects.filter(patient=patient).order_by("pk"))
    encounters = kind("encounters", Encounter.objects.filter(patient=patient).order_by("pk"))
    found = Everything()
    found.matches.append(resources.patient(patient))
    for plan in plans:
        found.matches.append(
            resources.care_plan(
                plan,
                goal_ids=[g.pk for g in goals if g.care_plan_id == plan.pk],
                task_ids=[t.pk for t in tasks if t.care_plan_id == plan.pk],
            )
        )
    found.matches += [resources.goal(g, progress=g.progress.all()) for g in goals]
    found.matches += [resources.task(t) for t in tasks]
    services, organizations = {}, {}
    for referral in referrals:
        found.matches.append(resources.service_request(referral))
        fulfilment = resources.fulfilment_task(referral)
        if fulfilment is not None:
            found.matches.append(fulfilment)
        if referral.service_id:
            services[referral.service_id] = referral.service
            organizations[referral.service.organization_id] = referral.service.organization
    found.matches += [
        resources.episode_of_care(e, transitions=e.transitions.all()) for e in enrolments
    ]
    found.matches += [resources.coverage(c) for c in coverages]
    found.matches += [resources.encounter(e) for e in encounters]
    found.included.append(resources.care_team(patient.care_team, patient_record=patient))
    found.included += [resources.healthcare_service(s) for s in services.values()]
    found.included += [resources.organization(o) for o in organizations.values()]
    return found
