"""Demo data: a service directory and referrals in realistic states, with the transition
records that led there (so lists, overdue marks and the figures have something to show).

Built with bulk inserts per batch of patients: about 39 referrals per 100 patients.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carehub.bulk import BulkTable, bulk_load, rows_in_batches
from patients.models import Patient
from referrals.directory import hsds_sync
from referrals.models import (
    ConsentMethod,
    ContactChannel,
    ContactDirection,
    ContactLogEntry,
    Need,
    Organization,
    OutcomeCode,
    Priority,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    ReferralTransition,
    Service,
    ServiceCategory,
    SharingConsent,
)
from referrals.transitions import new_link_key

S = ReferralStatus
C = ServiceCategory
BATCH = 5_000
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

# (organisation, [(service, category, languages, accepts referrals, hours)])
DIRECTORY = [
    ("Springfield Community Health Center", [
        ("Adult primary care", C.PRIMARY_CARE, "en,es,vi", True, "Mon-Fri 8-6"),
        ("Diabetes education", C.SPECIALTY_CARE, "en,es", True, "Tue, Thu 9-4"),
    ]),
    ("Baystate Cardiology Associates", [
        ("Heart failure clinic", C.SPECIALTY_CARE, "en", True, "Mon-Fri 8-5"),
    ]),
    ("Pioneer Valley Behavioral Health", [
        ("Outpatient counselling", C.BEHAVIORAL_HEALTH, "en,es", True, "Mon-Fri 9-7"),
        ("Crisis stabilisation", C.BEHAVIORAL_HEALTH, "en,es,ht", True, "24/7"),
        ("Peer support groups", C.BEHAVIORAL_HEALTH, "en", False, "Wed 6-8 pm"),
    ]),
    ("Riverbend Recovery Services", [
        ("Medication for opioid use disorder", C.SUBSTANCE_USE, "en,es", True, "Mon-Sat 7-3"),
        ("Outpatient recovery program", C.SUBSTANCE_USE, "en", True, "Mon-Fri 9-5"),
    ]),
    ("Harbor Housing Partnership", [
        ("Emergency shelter placement", C.HOUSING, "en,es", True, "24/7 hotline"),
        ("Rental assistance", C.HOUSING, "en,es,pt", True, "Mon-Thu 9-4"),
        ("Home repair for seniors", C.HOUSING, "en", False, "By appointment"),
    ]),
    ("Worcester Tenant Legal Clinic", [
        ("Eviction defence", C.LEGAL, "en,es", True, "Mon, Wed 1-5"),
    ]),
    ("Valley Food Bank", [
        ("Weekly food pantry", C.FOOD, "en,es,vi,zh", True, "Tue-Sat 10-2"),
        ("Home-delivered groceries", C.FOOD, "en,es", True, "Deliveries Mon-Fri"),
    ]),
    ("Meals on Wheels of Western Mass", [
        ("Home-delivered meals", C.FOOD, "en,es", True, "Mon-Fri lunch"),
        ("Medically tailored meals", C.FOOD, "en", True, "Mon-Fri"),
    ]),
    ("WIC Springfield", [
        ("Women, Infants and Children nutrition", C.FOOD, "en,es,ar", True, "Mon-Fri 8:30-4:30"),
    ]),
    ("Ride Connect", [
        ("Non-emergency medical transport", C.TRANSPORTATION, "en,es", True, "Book 48 h ahead"),
        ("Volunteer driver program", C.TRANSPORTATION, "en", True, "Mon-Fri 8-4"),
    ]),
    ("Pioneer Valley Transit Authority", [
        ("Paratransit eligibility", C.TRANSPORTATION, "en,es", True, "Mon-Fri 9-4"),
    ]),
    ("Community Legal Aid", [
        ("Benefits appeals", C.LEGAL, "en,es,ru", True, "Mon-Fri 9-5"),
        ("Immigration consultations", C.LEGAL, "en,es,ht,pt", True, "Thu 9-12"),
    ]),
    ("MassHealth Enrollment Navigators", [
        ("Health insurance enrollment", C.BENEFITS, "en,es,vi,pt", True, "Mon-Fri 9-5"),
    ]),
    ("SNAP Outreach Project", [
        ("SNAP application help", C.BENEFITS, "en,es,zh", True, "Mon-Fri 10-4"),
    ]),
    ("Fuel Assistance Program of Hampden County", [
        ("Heating and utility assistance", C.BENEFITS, "en,es", True, "Nov-Apr, Mon-Fri"),
    ]),
    ("Social Security Benefits Counselling", [
        ("Disability application support", C.BENEFITS, "en,es", True, "Tue-Thu 9-3"),
    ]),
    ("Career Point", [
        ("Job readiness coaching", C.EMPLOYMENT, "en,es", True, "Mon-Fri 9-5"),
        ("Vocational rehabilitation", C.EMPLOYMENT, "en", True, "By appointment"),
    ]),
    ("Adult Basic Education Center", [
        ("English classes (ESOL)", C.EMPLOYMENT, "es,vi,ar,ht,pt,zh", True, "Evenings"),
    ]),
    ("Greater Springfield Senior Services", [
        ("Caregiver respite", C.CAREGIVER_SUPPORT, "en,es", True, "Mon-Fri 8-5"),
        ("Home care aide program", C.CAREGIVER_SUPPORT, "en,es,pt", True, "Mon-Fri 8-5"),
        ("Alzheimer's caregiver support group", C.CAREGIVER_SUPPORT, "en", True, "Mon 6 pm"),
    ]),
    ("Family Caregiver Alliance of New England", [
        ("Caregiver coaching", C.CAREGIVER_SUPPORT, "en,ko", True, "By phone"),
    ]),
    ("Safe Passage", [
        ("Domestic violence advocacy", C.OTHER, "en,es", True, "24/7 hotline"),
    ]),
    ("Holyoke Dental Clinic", [
        ("Adult dental care", C.SPECIALTY_CARE, "en,es", True, "Mon-Fri 8-4"),
    ]),
    ("Lowell Vision Center", [
        ("Low-cost eye exams and glasses", C.SPECIALTY_CARE, "en,vi", False, "Sat 9-1"),
    ]),
    ("Providence Mobile Health", [
        ("Mobile primary care van", C.PRIMARY_CARE, "en,es,pt", True, "See weekly route"),
    ]),
    ("Friendly Visitors Network", [
        ("Companionship visits", C.OTHER, "en,es,pt", True, "Weekly visits"),
    ]),
]  # fmt: skip

REASONS = {
    C.PRIMARY_CARE: "No primary care visit in over a year; needs follow-up after discharge.",
    C.SPECIALTY_CARE: "Specialist follow-up ordered at discharge; patient unable to book alone.",
    C.BEHAVIORAL_HEALTH: "Positive depression screen (PHQ-9 14); agrees to counselling.",
    C.SUBSTANCE_USE: "Asked for help with alcohol use; ready to start treatment.",
    C.HOUSING: "Behind on rent, eviction notice received; at risk of losing housing.",
    C.FOOD: "Reports running out of food before the end of the month.",
    C.TRANSPORTATION: "Missed two appointments for lack of transport.",
    C.BENEFITS: "Eligible but not enrolled; needs help with the application.",
    C.LEGAL: "Needs legal advice on a housing or benefits dispute.",
    C.EMPLOYMENT: "Lost job recently; wants help finding work.",
    C.CAREGIVER_SUPPORT: "Caregiver reports strain; family asks for respite.",
    C.OTHER: "Needs support the team cannot give directly.",
}
NEEDS = {
    C.PRIMARY_CARE: [Need.MEDICAL],
    C.SPECIALTY_CARE: [Need.MEDICAL],
    C.BEHAVIORAL_HEALTH: [Need.BEHAVIORAL],
    C.SUBSTANCE_USE: [Need.SUBSTANCE_USE],
    C.HOUSING: [Need.LIVING_SITUATION, Need.FINANCIAL],
    C.FOOD: [Need.FOOD],
    C.TRANSPORTATION: [Need.TRANSPORTATION],
    C.BENEFITS: [Need.FINANCIAL],
    C.LEGAL: [Need.LEGAL],
    C.EMPLOYMENT: [Need.EMPLOYMENT, Need.FINANCIAL],
    C.CAREGIVER_SUPPORT: [Need.CAREGIVING],
    C.OTHER: [Need.SAFETY],
}
# Where referrals end up, as weights: most older ones are closed (DOMAIN.md, Referral).
TARGETS = [
    (S.DRAFT, 3), (S.SENT, 9), (S.RECEIVED, 5), (S.ACCEPTED, 8), (S.DECLINED, 6),
    (S.SCHEDULED, 10), (S.NO_SHOW, 3), (S.OUTCOME_RECORDED, 10), (S.CLOSED, 40),
    (S.CANCELLED, 6),
]  # fmt: skip
PATHS = {
    S.DRAFT: [],
    S.SENT: [S.SENT],
    S.RECEIVED: [S.SENT, S.RECEIVED],
    S.ACCEPTED: [S.SENT, S.ACCEPTED],
    S.DECLINED: [S.SENT, S.DECLINED],
    S.SCHEDULED: [S.SENT, S.ACCEPTED, S.SCHEDULED],
    S.NO_SHOW: [S.SENT, S.ACCEPTED, S.SCHEDULED, S.NO_SHOW],
    S.OUTCOME_RECORDED: [S.SENT, S.RECEIVED, S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED],
    S.CLOSED: [S.SENT, S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED, S.CLOSED],
    S.CANCELLED: [S.SENT, S.CANCELLED],
}
OUTCOMES = [
    (OutcomeCode.GOT_HELP, 55), (OutcomeCode.PARTIALLY_HELPED, 15),
    (OutcomeCode.COULD_NOT_CONTACT, 8), (OutcomeCode.NO_LONGER_INTERESTED, 7),
    (OutcomeCode.REFERRED_ELSEWHERE, 5), (OutcomeCode.NOT_ELIGIBLE, 5),
    (OutcomeCode.NO_CAPACITY, 5),
]  # fmt: skip
PRIORITIES = [(Priority.ROUTINE, 70), (Priority.URGENT, 20), (Priority.ASAP, 8), (Priority.STAT, 2)]
REASONS_REQUIRED = {
    S.DECLINED: "No capacity this month.",
    S.NO_SHOW: "Patient did not attend; no call.",
    S.CANCELLED: "Patient moved out of the area.",
}
CONTACT_CHANNELS = [
    ContactChannel.PHONE.value,
    ContactChannel.FAX.value,
    ContactChannel.EMAIL.value,
    ContactChannel.PORTAL.value,
]
CONTACT_NOTES = [
    "Left a voicemail with intake.",
    "Faxed the referral letter again.",
    "Intake confirmed they have the referral.",
    "Called the patient to remind them of the appointment.",
    "Emailed the program coordinator for an update.",
]


def seed_directory() -> list[Service]:
    """The demo directory, once: organisations and services across every category."""
    services = []
    for org_name, offered in DIRECTORY:
        slug = "".join(ch for ch in org_name.lower() if ch.isalnum())[:20]
        organization, _created = Organization.objects.get_or_create(
            name=org_name,
            defaults={
                "phone": "413-555-0100",
                "email": f"info@{slug}.example",
                "website": f"https://{slug}.example",
                "description": f"{org_name} serves Western Massachusetts.",
            },
        )
        for name, category, languages, accepting, hours in offered:
            service, _created = Service.objects.get_or_create(
                organization=organization,
                name=name,
                defaults={
                    "category": category,
                    "languages": languages,
                    "accepts_referrals": accepting,
                    "hours": hours,
                    "email": f"referrals@{slug}.example",
                    "phone": "413-555-0150",
                    "address_line": "100 Main St",
                    "city": "Springfield",
                    "region": "MA",
                    "postal_code": "01103",
                    "eligibility_notes": "Adults in Hampden County." if accepting else "",
                },
            )
            services.append(service)
    hsds_sync(service for service in services if service.service_at_location_id is None)
    return services


def _weighted(rng: random.Random, choices: list[tuple]):
    return rng.choices([value for value, _weight in choices], [w for _v, w in choices])[0]


@dataclass
class Story:
    """One referral to insert and the moves that led to its state."""

    referral: dict
    moves: list[tuple[str, str, datetime.datetime]] = field(default_factory=list)
    consent_key: tuple[int, int] | None = None
    override: bool = False
    contacts: int = 0


def _story(
    *,
    rng: random.Random,
    now: datetime.datetime,
    referral_id: int,
    patient_id: int,
    referrer_id: int,
    service: Service | None,
) -> Story:
    target = _weighted(rng, TARGETS)
    # Finished referrals spread over half a year; open ones are mostly recent.
    days = 200 if target in (S.CLOSED, S.CANCELLED) or rng.random() < 0.15 else 30
    created = now - datetime.timedelta(minutes=rng.randint(60, days * 24 * 60))
    priority = _weighted(rng, PRIORITIES)
    category = service.category if service else C.OTHER
    referral = {
        "id": referral_id,
        "patient_id": patient_id,
        "service_id": service.pk if service else None,
        "service_at_location_id": service.service_at_location_id if service else None,
        "recipient_name": "" if service else "Dr. Ortiz, private dental practice",
        "recipient_phone": "" if service else "413-555-0177",
        "reason": REASONS[category],
        "needs": [str(need) for need in NEEDS[category]],
        "priority": str(priority),
        "referred_by_id": referrer_id,
        "created_at": created,
    }
    story = Story(referral=referral)
    path = PATHS[target]
    when = created
    status = S.DRAFT
    deadline = settings.REFERRAL_RESPONSE_DEADLINES[priority]
    for target in path:
        if target == S.SENT:
            when += datetime.timedelta(minutes=rng.randint(5, 240))
        elif target in (S.RECEIVED, S.ACCEPTED, S.DECLINED):
            # Most answer within the deadline; some take longer.
            when += deadline * rng.uniform(0.1, 1.2)
        elif target == S.SCHEDULED:
            when += HOUR * rng.randint(2, 72)
        elif target in (S.OUTCOME_RECORDED, S.NO_SHOW):
            when = referral["appointment_at"] + HOUR * rng.randint(1, 72)
        elif target in (S.CLOSED, S.CANCELLED):
            when += HOUR * rng.randint(1, 240)
        if when > now:
            break
        story.moves.append((status, target, when))
        status = target
        if target == S.SENT:
            referral.update(sent_at=when, response_due_at=when + deadline, link_key=new_link_key())
        elif target == S.SCHEDULED:
            # Mostly within ten days, so the coordinators' "next 7 days" is never empty;
            # office hours on the US east coast (13:00-20:30 UTC).
            day_of = when + DAY * rng.randint(2, 10)
            referral["appointment_at"] = day_of.replace(
                hour=rng.randint(13, 20), minute=rng.choice([0, 30]), second=0, microsecond=0
            )
        elif target == S.OUTCOME_RECORDED:
            referral["outcome_code"] = str(_weighted(rng, OUTCOMES))
            referral["outcome_note"] = "Reported by the service."
        elif target == S.DECLINED and rng.random() < 0.6:
            referral["outcome_code"] = rng.choice(["no_capacity", "not_eligible"])
        elif target in (S.CLOSED, S.CANCELLED):
            referral.update(
                closed_at=when, closing_reason=REASONS_REQUIRED.get(target, ""), link_key=""
            )
    referral.update(
        status=str(status),
        status_reason=REASONS_REQUIRED.get(status, ""),
        version=1 + len(story.moves),
        updated_at=story.moves[-1][2] if story.moves else created,
    )
    if referral.get("sent_at"):
        if service and rng.random() < 0.95:
            story.consent_key = (patient_id, service.organization_id)
        else:
            story.override = True
            referral["consent_override_reason"] = "Urgent need; consent form to follow."
        story.contacts = rng.choice([0, 0, 1, 1, 2])
    return story


@dataclass
class Writer:
    """Rows of one batch of patients, and the ids they take."""

    tables: dict = field(default_factory=dict)
    consents: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    events: list = field(default_factory=list)

    def table(self, model) -> BulkTable:
        if model not in self.tables:
            self.tables[model] = BulkTable(model)
        return self.tables[model]

    def id(self, model) -> int:
        return self.table(model).take_id()

    @transaction.atomic
    def flush(self) -> None:
        for model, rows in (
            (SharingConsent, self.consents),
            (Referral, self.referrals),
            (ReferralTransition, self.transitions),
            (ContactLogEntry, self.contacts),
            (ReferralEvent, self.events),
        ):
            table = self.table(model)
            for row in rows:
                table.add_dict(row)
            table.flush()
            rows.clear()

    def finish(self) -> None:
        for table in self.tables.values():
            table.finish()


def _add(writer: Writer, story: Story, *, consents: dict, rng: random.Random) -> None:
    referral = story.referral
    by = referral["referred_by_id"]
    if story.consent_key:
        if story.consent_key not in consents:
            consents[story.consent_key] = consent_id = writer.id(SharingConsent)
            writer.consents.append(
                {
                    "id": consent_id,
                    "patient_id": story.consent_key[0],
                    "organization_id": story.consent_key[1],
                    "granted_by": "The patient",
                    "method": rng.choice(ConsentMethod.values),
                    "granted_on": timezone.localdate(referral["sent_at"]),
                    "recorded_by_id": by,
                    "recorded_at": referral["sent_at"],
                }
            )
        referral["sharing_consent_id"] = consents[story.consent_key]
    writer.referrals.append(referral)
    for from_status, to_status, when in story.moves:
        # Answers from the service come through its link about half the time.
        via_link = to_status in (S.ACCEPTED, S.DECLINED, S.SCHEDULED) and rng.random() < 0.5
        writer.transitions.append(
            {
                "id": writer.id(ReferralTransition),
                "referral_id": referral["id"],
                "from_status": str(from_status),
                "to_status": str(to_status),
                "by_id": None if via_link else by,
                "via_link": via_link,
                "at": when,
                "reason": REASONS_REQUIRED.get(to_status, ""),
            }
        )
    for n in range(story.contacts):
        when = referral["sent_at"] + HOUR * rng.randint(2, 96)
        writer.contacts.append(
            {
                "id": writer.id(ContactLogEntry),
                "referral_id": referral["id"],
                "channel": rng.choice(CONTACT_CHANNELS),
                "direction": (
                    ContactDirection.OUTBOUND if n == 0 else ContactDirection.INBOUND
                ).value,
                "occurred_at": when,
                "created_at": when,
                "note": rng.choice(CONTACT_NOTES),
                "by_id": by,
            }
        )
    if story.override:
        writer.events.append(
            {
                "id": writer.id(ReferralEvent),
                "referral_id": referral["id"],
                "kind": ReferralEventKind.CONSENT_OVERRIDDEN.value,
                "by_id": by,
                "at": referral["sent_at"],
                "detail": referral["consent_override_reason"],
            }
        )


def seed_for_patients(
    *, staff, patient_ids: list[int], rng: random.Random, progress: Callable[[int], None]
) -> None:
    """About 39 referrals per 100 patients, in realistic states, with their history."""
    services = [s for s in seed_directory() if s.accepts_referrals]
    now = timezone.now()
    coordinators = {t.team.pk: [u.pk for u in t.coordinators] for t in staff.teams}
    managers = {t.team.pk: t.case_manager.pk for t in staff.teams}
    writer = Writer()
    consents: dict = {}
    batches = rows_in_batches(
        Patient.objects, patient_ids, BATCH, "care_team_id", "primary_coordinator_id"
    )
    with bulk_load([SharingConsent, Referral, ReferralTransition, ContactLogEntry, ReferralEvent]):
        for count, rows in batches:
            for patient_id, team_id, coordinator_id in rows:
                referrer = coordinator_id or rng.choice(coordinators.get(team_id) or [None])
                if referrer is None:
                    continue
                if rng.random() < 0.1:
                    referrer = managers.get(team_id, referrer)
                draw = rng.random()
                how_many = 0 if draw < 0.68 else 1 if draw < 0.93 else 2
                # Distinct services per patient: the duplicate guard holds in demo data too.
                for service in rng.sample(services, how_many):
                    story = _story(
                        rng=rng,
                        now=now,
                        referral_id=writer.id(Referral),
                        patient_id=patient_id,
                        referrer_id=referrer,
                        service=None if rng.random() < 0.05 else service,
                    )
                    _add(writer, story, consents=consents, rng=rng)
            writer.flush()
            progress(count)
        writer.finish()
