"""CareHub's flat listings keep their HSDS 3 records up to date: a CSV import and a
referral to a listing point at the listing's service at location."""

from __future__ import annotations

import pytest

from directory.models import Language, Service, ServiceAtLocation
from referrals import services as referral_services
from referrals.directory import directory_import_csv
from referrals.models import Service as Listing
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

HEADER = "organization,name,category,languages,accepts_referrals,email,phone,hours,city\n"


def test_csv_import_writes_and_updates_the_hsds_records():
    directory_import_csv(
        data=(
            HEADER + 'Harbor,Pantry,food,"en,es",yes,p@h.example,413-555-0101,Mon 9-5,Lynn\n'
        ).encode()
    )
    listing = Listing.objects.get()
    sal = listing.service_at_location
    assert sal.service.name == "Pantry"
    assert sal.location.addresses.get().city == "Lynn"
    assert set(Language.objects.filter(service=sal.service).values_list("code", flat=True)) == {
        "en",
        "es",
    }
    assert listing.organization.hsds_organization == sal.service.organization

    directory_import_csv(
        data=(HEADER + "Harbor,Pantry,food,vi,yes,p@h.example,,Tue 9-5,Lynn\n").encode()
    )
    sal.refresh_from_db()
    assert ServiceAtLocation.objects.count() == Service.objects.count() == 1  # updated, not added
    assert list(sal.service.languages.values_list("code", flat=True)) == ["vi"]
    assert not sal.service.phones.exists()
    assert sal.service.schedules.get().description == "Tue 9-5"


def test_a_referral_points_at_the_listing_service_at_location(coordinator, team_a):
    directory_import_csv(data=(HEADER + "Harbor,Pantry,food,en,yes,p@h.example,,,\n").encode())
    listing = Listing.objects.get()
    patient = PatientFactory(care_team=team_a)
    referral = referral_services.referral_create(
        patient=patient, by=coordinator, data={"service": listing, "reason": "Food"}
    )
    assert referral.service_at_location == listing.service_at_location
