"""The list endpoints' fast paths (api/base.py) answer exactly what DRF would: ReadSerializer's
read path and its fields built once per class, ReferralSerializer's directory names from
annotations, and ApiFilterSet's form built once per class."""

from __future__ import annotations

import datetime
import zoneinfo

import django_filters
import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

import api.urls  # noqa: F401 (every ReadSerializer subclass, for the field check)
from api.base import ApiFilterSet, ReadSerializer
from api.patients import PatientFilter, PatientSerializer
from api.referrals import ReferralSerializer, with_directory_names
from patients.models import ContactMethod, Patient, PatientStatus, RiskLevel, Sex
from patients.selectors import patients_visible_to, teams_of
from referrals.models import Need, OutcomeCode, Referral
from tests.factories import PatientFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

ZONES = ["UTC", "America/New_York", "Asia/Kolkata"]


def drf(serializer: ReadSerializer, instance) -> dict:
    """DRF's own Serializer.to_representation, over the same (bound) fields."""
    return serializers.Serializer.to_representation(serializer, instance)


def as_json(data) -> bytes:
    return JSONRenderer().render(data)


def assert_same(serializer: ReadSerializer, rows: list) -> list[dict]:
    fast = serializer.__class__(rows, many=True).data
    child = serializer.__class__()
    expected = [drf(child, row) for row in rows]
    assert fast == expected
    assert as_json(fast) == as_json(expected)  # types too: true is not 1, "1" is not 1
    return fast


@pytest.fixture
def patients(team_a, patient):
    PatientFactory(
        care_team=team_a,
        given_name="Zoë\u2028",  # JSON escapes it; the renderer sees the same text
        phone="",
        email="",
        primary_coordinator=None,
        case_manager=None,
        sex=Sex.FEMALE,
        risk_level=RiskLevel.HIGH,
        preferred_contact_method=ContactMethod.SMS,
        consent_sms=True,
        time_zone="America/Chicago",
        status=PatientStatus.INACTIVE,
        status_reason="Moved away",
        date_of_birth=datetime.date(1931, 2, 28),
    )
    odd_phone = PatientFactory(care_team=team_a, insurance_payer="Acme")
    Patient.objects.filter(pk=odd_phone.pk).update(phone="555-01")  # kept as typed: invalid
    return list(Patient.objects.filter(care_team=team_a).order_by("pk"))


@pytest.mark.parametrize("zone", ZONES)
def test_patients_read_as_drf_reads_them(patients, zone):
    with timezone.override(zone):
        answer = assert_same(PatientSerializer(), patients)
    by_id = {row["id"]: row for row in answer}
    quiet, odd_phone = by_id[patients[1].pk], by_id[patients[2].pk]
    assert (quiet["phone"], quiet["primary_coordinator"], quiet["consent_sms"]) == ("", None, True)
    assert (quiet["date_of_birth"], quiet["status"]) == ("1931-02-28", "inactive")
    assert odd_phone["phone"] == "555-01" and by_id[patients[0].pk]["phone"] == "+14135550142"
    # In the caller's zone (DRF's DateTimeField), UTC as "Z".
    created = patients[0].created_at.astimezone(zoneinfo.ZoneInfo(zone)).isoformat()
    assert by_id[patients[0].pk]["created_at"] == created.replace("+00:00", "Z")


def test_a_patient_made_in_python_reads_as_drf_reads_it(team_a):
    """Values a service sets before answering (enum members, a zone-aware datetime of
    another zone) are not the database's types: they take the field's own way."""
    patient = Patient(
        pk=7,
        mrn="T1",
        given_name="Ann",
        family_name="Lee",
        date_of_birth=datetime.date(1980, 1, 2),
        sex=Sex.MALE,
        phone="+14135550100",
        preferred_contact_method=ContactMethod.EMAIL,
        consent_email=True,
        risk_level=RiskLevel.MEDIUM,
        status=PatientStatus.DISCHARGED,
        care_team=team_a,
        created_at=datetime.datetime(
            2026, 1, 15, 6, 59, 59, 5, tzinfo=zoneinfo.ZoneInfo("America/Denver")
        ),
        updated_at=datetime.datetime(2026, 3, 8, 12, 0, tzinfo=datetime.UTC),
        version=3,
    )
    with timezone.override("Europe/London"):
        answer = assert_same(PatientSerializer(), [patient])[0]
    assert (answer["sex"], answer["status"], answer["care_team"]) == (
        "male",
        "discharged",
        team_a.pk,
    )
    assert answer["created_at"] == "2026-01-15T13:59:59.000005Z"  # London: UTC in January


class ReferralAsItWas(ReferralSerializer):
    """ReferralSerializer before its names came from annotations: through the related rows."""

    service_name = serializers.CharField(source="service.name", read_only=True, default=None)
    organization = serializers.IntegerField(
        source="service.organization_id", read_only=True, default=None
    )
    organization_name = serializers.CharField(
        source="service.organization.name", read_only=True, default=None
    )


@pytest.fixture
def referrals(patient, coordinator):
    made = [
        ReferralFactory(
            patient=patient, referred_by=coordinator, needs=[Need.FOOD, Need.LIVING_SITUATION]
        ),
        ReferralFactory(patient=patient, referred_by=coordinator, sent=True),
        ReferralFactory(patient=patient, referred_by=coordinator, scheduled=True),
        ReferralFactory(patient=patient, referred_by=coordinator, closed=True),
        ReferralFactory(patient=patient, referred_by=coordinator, cancelled=True),
        ReferralFactory(
            patient=patient,
            referred_by=coordinator,
            service=None,
            recipient_name="Dr. Ruth Okafor",
            recipient_phone="413 555 0199",
            recipient_email="r.okafor@clinic.example",
            needs=[],
        ),
    ]
    overdue = ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    Referral.objects.filter(pk=overdue.pk).update(
        response_due_at=timezone.now() - datetime.timedelta(days=2)
    )
    return [*made, overdue]


def referrals_as_they_were(patient) -> list[Referral]:
    return list(
        Referral.objects.filter(patient=patient)
        .select_related("service__organization")
        .with_overdue(timezone.now())
        .order_by("-created_at", "-id")
    )


def test_the_referral_list_is_byte_for_byte_what_it_was(api, patient, referrals):
    reference = ReferralAsItWas()
    response = api.get("/api/v1/referrals/")
    assert response.status_code == 200, response.content
    expected = [drf(reference, row) for row in referrals_as_they_were(patient)]
    assert response.content == as_json({"next": None, "previous": None, "results": expected})
    by_id = {row["id"]: row for row in expected}
    named, overdue, closed = by_id[referrals[5].pk], by_id[referrals[6].pk], by_id[referrals[3].pk]
    assert (named["service"], named["service_name"], named["organization_name"]) == (None,) * 3
    assert by_id[referrals[0].pk]["needs"] == ["food", "living_situation"]
    assert overdue["is_overdue"] is True and closed["closed_at"] is not None
    assert closed["outcome_code"] == OutcomeCode.GOT_HELP


def test_one_referral_and_a_page_of_two_are_what_they_were(api, patient, referrals):
    reference = ReferralAsItWas()
    rows = referrals_as_they_were(patient)
    for row in rows:
        response = api.get(f"/api/v1/referrals/{row.pk}/")
        assert response.content == as_json(drf(reference, row))
    page = api.get("/api/v1/referrals/", {"page_size": 2}).json()
    assert page["results"] == [drf(reference, row) for row in rows[:2]] and page["next"]


@pytest.mark.parametrize("zone", ZONES)
def test_referrals_read_as_drf_reads_them(patient, referrals, zone):
    rows = with_directory_names(
        Referral.objects.filter(patient=patient).with_overdue(timezone.now())
    ).order_by("pk")
    with timezone.override(zone):
        assert_same(ReferralSerializer(), list(rows))


def test_every_read_serializer_has_drfs_fields_of_its_own():
    classes, todo = [], [ReadSerializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        classes.append(cls)
    assert len(classes) > 25
    for cls in classes[1:]:
        serializer = cls()
        built = serializers.ModelSerializer.get_fields(cls())  # DRF's, made now
        assert list(serializer.fields) == list(built), cls
        for name, field in serializer.fields.items():
            assert repr(field) == repr(built[name]), (cls, name)
            assert field.read_only and field.parent is serializer, (cls, name)
            assert field is not cls().fields[name], (cls, name)


def test_the_filter_form_is_built_once_and_still_filters(api, team_a, patient):
    high = PatientFactory(care_team=team_a, risk_level=RiskLevel.HIGH)
    scope = patients_visible_to(patient.primary_coordinator)
    first = PatientFilter({"risk_level": "high"}, queryset=scope)
    second = PatientFilter({"status": "nonsense"}, queryset=scope)
    assert first.form.__class__ is second.form.__class__
    assert list(first.qs) == [high] and not second.is_valid()
    ids = [
        row["id"] for row in api.get("/api/v1/patients/", {"risk_level": "low"}).json()["results"]
    ]
    assert ids == [patient.pk]
    assert api.get("/api/v1/patients/", {"risk_level": "extreme"}).status_code == 400
    assert len(api.get("/api/v1/patients/").json()["results"]) == 2


class TeamFilter(ApiFilterSet):
    """A filter whose choices depend on the request: its form is not kept."""

    care_team = django_filters.ModelChoiceFilter(queryset=lambda request: teams_of(request.user))

    class Meta:
        model = Patient
        fields = ["care_team"]


def test_a_filter_scoped_by_the_request_is_built_for_each_request(
    coordinator, coordinator_b, team_b
):
    def request_of(user):
        request = RequestFactory().get("/")
        request.user = user
        return request

    data = {"care_team": team_b.pk}
    team_a_form = TeamFilter(data, queryset=Patient.objects.all(), request=request_of(coordinator))
    assert not team_a_form.is_valid()  # team B is not one of coordinator A's
    team_b_form = TeamFilter(
        data, queryset=Patient.objects.all(), request=request_of(coordinator_b)
    )
    assert team_b_form.is_valid() and team_b_form.form.cleaned_data["care_team"] == team_b


def test_a_referral_without_the_directory_names_is_refused(referrals):
    plain = Referral.objects.get(pk=referrals[0].pk)  # not from ReferralViewSet.get_queryset
    with pytest.raises(TypeError, match="with_directory_names"):
        ReferralSerializer(plain).data  # noqa: B018
    row = with_directory_names(Referral.objects.filter(pk=plain.pk)).get()
    assert ReferralSerializer(row).data["service_name"] == plain.service.name
