"""factory_boy factories with traits for roles and states."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import CareTeam, TeamMembership, User
from accounts.roles import Role
from patients.models import IdentifierType, Patient, PatientIdentifier, RelatedPerson, Relationship

TEST_PASSWORD = "a-long-test-password-2026"


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeam
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@carehub.test")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """``UserFactory(role=Role.COORDINATOR)`` puts the user in that role's group."""
        if extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).group_name))

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        for team in extracted or []:
            TeamMembership.objects.get_or_create(user=self, team=team)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"T{n:07d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=365 * 45)
    )
    phone = "+14135550142"
    email = factory.LazyAttribute(lambda p: f"{p.mrn.lower()}@example.org")
    care_team = factory.SubFactory(CareTeamFactory)

    class Params:
        # Names that no generated staff name and no word of a letter can be, for tests
        # that check a patient's details stay out of a text: a generated family name
        # can be the sender's too ("Johnson").
        unmistakable = factory.Trait(given_name="Quillonia", family_name="Zanderwick")


class RelatedPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelatedPerson

    patient = factory.SubFactory(PatientFactory)
    name = factory.Faker("name")
    relationship = Relationship.SPOUSE
    is_emergency_contact = True


class PatientIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientIdentifier

    patient = factory.SubFactory(PatientFactory)
    system = "http://hospital.example.org/mrn"
    value = factory.Sequence(lambda n: f"H{n:07d}")
    type_code = IdentifierType.MR
    assigner = "Example General Hospital"
