"""Demo data for the registry: teams, staff and patients, built with bulk inserts."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import CareTeam, TeamMembership, User
from accounts.roles import Role
from carehub.bulk import BulkTable, bulk_load
from patients.models import (
    ContactMethod,
    IdentifierType,
    Language,
    Patient,
    PatientIdentifier,
    PatientStatus,
    RelatedPerson,
    Relationship,
    RiskLevel,
    Sex,
)

DEMO_PASSWORD = "carehub-demo"  # noqa: S105 - stated in README; seed_demo refuses without DEBUG
PATIENTS_PER_TEAM = 2_000
COORDINATORS_PER_TEAM = 4
BATCH = 5_000

GIVEN_FEMALE = [
    "Maria",
    "Aisha",
    "Emily",
    "Sofia",
    "Grace",
    "Mei",
    "Fatima",
    "Olivia",
    "Lucia",
    "Hannah",
    "Ngozi",
    "Ana",
    "Chloe",
    "Priya",
    "Rosa",
    "Linh",
    "Zoe",
    "Isabel",
    "Amara",
    "Carmen",
]
GIVEN_MALE = [
    "James",
    "Jose",
    "Mohammed",
    "Daniel",
    "Wei",
    "Carlos",
    "Samuel",
    "Luis",
    "David",
    "Kwame",
    "Minh",
    "Ethan",
    "Omar",
    "Juan",
    "Noah",
    "Ivan",
    "Tomas",
    "Arjun",
    "Miguel",
    "Henry",
]
FAMILY = [
    "Garcia",
    "Smith",
    "Nguyen",
    "Johnson",
    "Martinez",
    "Brown",
    "Lee",
    "Williams",
    "Hernandez",
    "Jones",
    "Lopez",
    "Davis",
    "Kim",
    "Okafor",
    "Patel",
    "Wilson",
    "Rodriguez",
    "Chen",
    "Ali",
    "Thompson",
    "Moore",
    "Rivera",
    "Clark",
    "Haddad",
    "Walker",
    "Diaz",
    "Hall",
    "Young",
    "Cohen",
    "Reyes",
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Elm St",
    "Cedar Ln",
    "Park Ave",
    "Pine St",
    "Lake Rd",
    "Hill St",
    "River Rd",
]
CITIES = [
    ("Springfield", "MA", "01103"),
    ("Worcester", "MA", "01608"),
    ("Lowell", "MA", "01852"),
    ("Providence", "RI", "02903"),
]
PAYERS = [
    "MassHealth",
    "Medicare",
    "Blue Cross Blue Shield",
    "Tufts Health Plan",
    "Harvard Pilgrim",
    "",
]
# Every tenth patient is known to the hospital and, when insured, to the payer by their ids.
HOSPITAL = ("http://hospital.example.org/mrn", "Example General Hospital")
PAYER_TYPES = {"MassHealth": IdentifierType.MA, "Medicare": IdentifierType.MC}
IDENTIFIED_EVERY = 10
TEAM_NAMES = [
    "North Clinic",
    "South Clinic",
    "East Clinic",
    "West Clinic",
    "Harbor Health",
    "Valley Care",
]


@dataclass
class DemoTeam:
    team: CareTeam
    coordinators: list[User]
    case_manager: User


@dataclass
class DemoStaff:
    teams: list[DemoTeam] = field(default_factory=list)


def _user(username: str, first: str, last: str, role: Role, password_hash: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@carehub.example",
            "password": password_hash,
        },
    )
    user.groups.add(Group.objects.get(name=role.group_name))
    return user


def _member(user: User, team: CareTeam) -> None:
    TeamMembership.objects.get_or_create(user=user, team=team)


@transaction.atomic
def seed_staff(*, team_count: int) -> DemoStaff:
    """Teams with coordinators and a case manager; the named demo logins come first."""
    password_hash = make_password(DEMO_PASSWORD)
    staff = DemoStaff()
    for index in range(team_count):
        name = TEAM_NAMES[index] if index < len(TEAM_NAMES) else f"Care Team {index + 1}"
        team, _created = CareTeam.objects.get_or_create(name=name)
        if index == 0:
            coordinators = [
                _user("coord", "Casey", "Morgan", Role.COORDINATOR, password_hash),
                _user("coord3", "Jordan", "Reyes", Role.COORDINATOR, password_hash),
            ]
            manager = _user("manager", "Morgan", "Blake", Role.CASE_MANAGER, password_hash)
        elif index == 1:
            coordinators = [_user("coord2", "Riley", "Chen", Role.COORDINATOR, password_hash)]
            manager = _user("manager2", "Avery", "Patel", Role.CASE_MANAGER, password_hash)
        else:
            coordinators = [
                _user(
                    f"coord-t{index + 1}-{n}",
                    "Coordinator",
                    f"T{index + 1}-{n}",
                    Role.COORDINATOR,
                    password_hash,
                )
                for n in range(1, COORDINATORS_PER_TEAM + 1)
            ]
            manager = _user(
                f"manager-t{index + 1}",
                "Case Manager",
                f"T{index + 1}",
                Role.CASE_MANAGER,
                password_hash,
            )
        for user in [*coordinators, manager]:
            _member(user, team)
        staff.teams.append(DemoTeam(team=team, coordinators=coordinators, case_manager=manager))

    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={
            "first_name": "Ada",
            "last_name": "Admin",
            "email": "admin@carehub.example",
            "password": password_hash,
        },
    )
    if not (admin.is_superuser and admin.is_staff):
        admin.is_superuser = admin.is_staff = True
        admin.save(update_fields=["is_superuser", "is_staff"])
    admin.groups.add(Group.objects.get(name=Role.ADMIN.group_name))
    return staff


# 555-01xx numbers are reserved for fiction. Stored as E.164 strings, as the field does.
_PHONES = [f"+1413555{n:04d}" for n in range(100, 200)]


def _phone(rng: random.Random) -> str:
    return rng.choice(_PHONES)


def build_patients(
    *, staff: DemoStaff, count: int, rng: random.Random, first_number: int
) -> Iterator[dict]:
    """Patient rows (field attname -> value) for BulkTable.add_dict."""
    today = timezone.localdate()
    risks = [RiskLevel.LOW] * 5 + [RiskLevel.MEDIUM] * 3 + [RiskLevel.HIGH] * 2
    statuses = [PatientStatus.ACTIVE] * 17 + [
        PatientStatus.INACTIVE,
        PatientStatus.DISCHARGED,
        PatientStatus.DECEASED,
    ]
    languages = (
        [Language.ENGLISH] * 6
        + [Language.SPANISH] * 3
        + [Language.VIETNAMESE, Language.CHINESE, Language.HAITIAN_CREOLE]
    )
    for offset in range(count):
        demo_team = staff.teams[offset % len(staff.teams)]
        sex = rng.choice([Sex.FEMALE, Sex.MALE, Sex.FEMALE, Sex.MALE, Sex.OTHER])
        given = rng.choice(GIVEN_FEMALE if sex == Sex.FEMALE else GIVEN_MALE)
        family = rng.choice(FAMILY)
        city, region, postal = rng.choice(CITIES)
        status = rng.choice(statuses)
        with_email = rng.random() < 0.6
        yield {
            "mrn": f"MRN{first_number + offset:08d}",
            "given_name": given,
            "family_name": family,
            "date_of_birth": today - datetime.timedelta(days=rng.randint(18 * 365, 92 * 365)),
            "sex": sex,
            "phone": _phone(rng),
            "email": f"{given}.{family}{first_number + offset}@example.org".lower()
            if with_email
            else "",
            "address_line": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            "city": city,
            "region": region,
            "postal_code": postal,
            "preferred_language": rng.choice(languages),
            "preferred_contact_method": rng.choice(list(ContactMethod)),
            "consent_phone": rng.random() < 0.9,
            "consent_sms": rng.random() < 0.6,
            "consent_email": with_email and rng.random() < 0.7,
            "consent_mail": rng.random() < 0.5,
            "insurance_payer": (payer := rng.choice(PAYERS)),
            "insurance_member_id": f"M{rng.randint(10**7, 10**8 - 1)}" if payer else "",
            "risk_level": rng.choice(risks),
            "status": status,
            "status_reason": ""
            if status in (PatientStatus.ACTIVE, PatientStatus.INACTIVE)
            else "Demo data",
            "care_team_id": demo_team.team.pk,
            "primary_coordinator_id": rng.choice(demo_team.coordinators).pk,
            "case_manager_id": demo_team.case_manager.pk,
        }


def seed_patients(*, staff: DemoStaff, count: int, rng: random.Random, progress=None) -> list[int]:
    """Insert ``count`` patients (and some caregivers) in batches; return their ids."""
    patients = BulkTable(Patient)
    contacts = BulkTable(RelatedPerson)
    relationships = [
        Relationship.SPOUSE,
        Relationship.CHILD,
        Relationship.PARENT,
        Relationship.SIBLING,
        Relationship.CAREGIVER,
    ]
    identifiers = BulkTable(PatientIdentifier)
    ids: list[int] = []
    first_number = patients.next_id
    with bulk_load([Patient, RelatedPerson, PatientIdentifier]):
        for row in build_patients(staff=staff, count=count, rng=rng, first_number=first_number):
            row["id"] = patients.take_id()
            if row["id"] % IDENTIFIED_EVERY == 0:
                for identifier in demo_identifiers(row):
                    identifiers.add_dict(identifier)
            patient_id = patients.add_dict(row)
            ids.append(patient_id)
            if rng.random() < 0.35:
                contacts.add_dict(
                    {
                        "patient_id": patient_id,
                        "name": f"{rng.choice(GIVEN_FEMALE + GIVEN_MALE)} {row['family_name']}",
                        "relationship": rng.choice(relationships),
                        "is_emergency_contact": True,
                        "is_caregiver": rng.random() < 0.4,
                        "phone": _phone(rng),
                        "email": "",
                        "notes": "",
                    }
                )
            if len(patients.rows) >= BATCH:
                written = len(patients.rows)
                patients.flush()
                contacts.flush()
                identifiers.flush()
                if progress:
                    progress(written)
        written = len(patients.rows)
        patients.finish()
        contacts.finish()
        identifiers.finish()
        if progress and written:
            progress(written)
    return ids


def demo_identifiers(row: dict) -> list[dict]:
    """The hospital's MRN and, for an insured patient, the payer's member id (made the
    patient's insurance member id too): unique, as they are derived from the patient's id."""
    patient_id = row["id"]
    system, hospital = HOSPITAL
    rows = [
        {
            "patient_id": patient_id,
            "system": system,
            "value": f"H{patient_id:08d}",
            "type_code": IdentifierType.MR,
            "assigner": hospital,
        }
    ]
    payer = row["insurance_payer"]
    if payer:
        row["insurance_member_id"] = f"M{patient_id:08d}"
        slug = "".join(c for c in payer.lower() if c.isalnum())
        rows.append(
            {
                "patient_id": patient_id,
                "system": f"http://{slug}.example.org/member-id",
                "value": row["insurance_member_id"],
                "type_code": PAYER_TYPES.get(payer, IdentifierType.MB),
                "assigner": payer,
            }
        )
    return rows
