"""Migration referrals 0008: the directory as it was becomes HSDS 3 records, nothing lost,
and referrals point at the service's service_at_location."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("referrals", "0007_hsds_links"), ("directory", "0001_hsds3_directory")]
AFTER = [("referrals", "0008_directory_to_hsds")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_directory_becomes_hsds_without_loss():
    old = _migrate(BEFORE)
    Organization = old.get_model("referrals", "Organization")
    Service = old.get_model("referrals", "Service")
    organization = Organization.objects.create(
        name="Valley Food Bank", phone="413-555-0100", website="https://food.example"
    )
    pantry = Service.objects.create(
        organization=organization,
        name="Pantry",
        description="Groceries each week",
        category="food",
        address_line="100 Main St",
        city="Springfield",
        region="MA",
        postal_code="01103",
        phone="413-555-0150",
        email="intake@food.example",
        hours="Mon-Fri 9-5",
        languages="en,es",
        eligibility_notes="Hampden County residents",
    )
    hotline = Service.objects.create(
        organization=organization, name="Hotline", category="food", is_active=False
    )

    new = _migrate(AFTER)
    try:
        Service = new.get_model("referrals", "Service")
        HService = new.get_model("directory", "Service")
        pantry = Service.objects.get(pk=pantry.pk)
        sal = new.get_model("directory", "ServiceAtLocation").objects.get(
            pk=pantry.service_at_location_id
        )
        service = HService.objects.get(pk=sal.service_id)
        assert service.name == "Pantry"
        assert service.description == "Groceries each week"
        assert service.email == "intake@food.example"
        assert service.status == "active"
        assert service.eligibility_description == "Hampden County residents"
        assert service.organization.name == "Valley Food Bank"
        location = new.get_model("directory", "Location").objects.get(pk=sal.location_id)
        assert location.location_type == "physical"
        address = location.addresses.get()
        assert (address.address_1, address.city, address.state_province, address.postal_code) == (
            "100 Main St",
            "Springfield",
            "MA",
            "01103",
        )
        assert sorted(service.languages.values_list("code", flat=True)) == ["en", "es"]
        assert list(service.phones.values_list("number", flat=True)) == ["413-555-0150"]
        assert list(service.schedules.values_list("description", flat=True)) == ["Mon-Fri 9-5"]
        term = service.attributes.get().taxonomy_term
        assert (term.code, term.name) == ("food", "Food")
        assert list(service.organization.phones.values_list("number", flat=True)) == [
            "413-555-0100"
        ]

        hotline_sal = Service.objects.get(pk=hotline.pk).service_at_location_id
        hotline_service = HService.objects.get(service_at_locations=hotline_sal)
        assert hotline_service.status == "inactive"
        assert hotline_service.service_at_locations.get().location.location_type == "virtual"
        # One taxonomy term for the category, shared.
        assert new.get_model("directory", "TaxonomyTerm").objects.count() == 1
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
