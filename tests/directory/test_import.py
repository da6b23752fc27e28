"""HSDS 3 imports: the published example package and JSON, validated, all or nothing,
upserted by id, services missing from a full re-import marked inactive."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory.models import Location, Schedule, Service, ServiceAtLocation, TaxonomyTerm

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).parent / "hsds_example"
SCHEMA = Path(__file__).parents[2] / "directory" / "hsds_schema" / "datapackage.json"
SERVICE = "ac148810-d857-441c-9679-408f346de14b"
ORG = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
TAXONOMY = "5c4d79d7-cc55-470e-9f1f-8cad074e4892"


def _edit(path: Path, **changes) -> None:
    """Set columns of every row of a CSV."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        row.update(changes)
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture
def package(tmp_path) -> Path:
    """The published example package, with its placeholder values made consistent (the
    example has latitude 100 and ids of records it does not include)."""
    for source in EXAMPLE.glob("*.csv"):
        shutil.copy(source, tmp_path / source.name)
    shutil.copy(SCHEMA, tmp_path / "datapackage.json")
    _edit(tmp_path / "locations.csv", latitude="42.1015", longitude="-72.5898", organization_id=ORG)
    _edit(tmp_path / "organizations.csv", parent_organization_id="")
    _edit(tmp_path / "taxonomy_terms.csv", parent_id="", taxonomy_id=TAXONOMY)
    _edit(tmp_path / "attributes.csv", link_id=SERVICE, link_type="service")
    return tmp_path


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_directory", *map(str, args), stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def test_the_published_example_is_refused_with_every_problem_named():
    bad = EXAMPLE.parent / "hsds_example"
    with pytest.raises(CommandError, match="saved nothing"):
        call_command(
            "import_directory", str(bad / "service_full.json"), stderr=(err := io.StringIO())
        )
    text = err.getvalue()
    assert f"service_full.json, service 1 (id {SERVICE}), field latitude: 100 is outside" in text
    assert "names a organization that does not exist: cd09a387" in text
    assert not Service.objects.exists()


def test_a_data_package_imports_and_reimports_without_duplicates(package):
    out, _err = run(package)
    assert "service: 1 new" in out
    service = Service.objects.get(hsds_id=SERVICE)
    assert service.organization.hsds_id == ORG
    sal = ServiceAtLocation.objects.get()
    assert sal.location.latitude == pytest.approx(42.1015)
    assert sal.location.addresses.get().city
    schedule = Schedule.objects.get()
    assert (schedule.freq, schedule.byday, str(schedule.opens_at)) == (
        "WEEKLY",
        "TH,FR",
        "10:00:00",
    )
    assert service.attributes.get().taxonomy_term.taxonomy.hsds_id == TAXONOMY
    assert service.languages.exists() and service.phones.exists()

    _edit(package / "services.csv", name="Renamed")
    out, _err = run(package)
    assert "service: 0 new, 1 updated" in out
    assert Service.objects.get().name == "Renamed"
    assert ServiceAtLocation.objects.count() == 1


def test_dry_run_writes_nothing(package):
    out, _err = run(package, "--dry-run")
    assert out.startswith("Checked, nothing saved")
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("file", "changes", "message"),
    [
        (
            "service_at_location.csv",
            {"location_id": "no-such-location"},
            "service_at_location.csv, row 2, field location_id: names a location that does not exist",
        ),
        (
            "locations.csv",
            {"longitude": "east"},
            "locations.csv, row 2, field longitude: not a number",
        ),
        (
            "services.csv",
            {"status": "open"},
            "services.csv, row 2, field status: 'open' is not one of",
        ),
        (
            "schedules.csv",
            {"valid_to": "2004-01-01"},
            "schedules.csv, row 2, field valid_to: before valid_from",
        ),
        ("schedules.csv", {"byday": "XX"}, "schedules.csv, row 2, field byday: not RRULE days: XX"),
    ],
)
def test_bad_packages_name_file_row_and_field_and_save_nothing(package, file, changes, message):
    _edit(package / file, **changes)
    with pytest.raises(CommandError):
        call_command("import_directory", str(package), stderr=(err := io.StringIO()), verbosity=0)
    assert message in err.getvalue()
    assert not Service.objects.exists() and not Location.objects.exists()


def test_csv_columns_that_disagree_with_datapackage_json(package):
    text = (package / "phones.csv").read_text().replace("extension", "ext", 1)
    (package / "phones.csv").write_text(text)
    with pytest.raises(CommandError):
        call_command("import_directory", str(package), stderr=(err := io.StringIO()), verbosity=0)
    assert "phones.csv, row 1: the columns disagree with datapackage.json" in err.getvalue()


def test_a_wrong_encoding_is_named(package):
    (package / "services.csv").write_bytes("id,name\n1,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError):
        call_command("import_directory", str(package), stderr=(err := io.StringIO()), verbosity=0)
    assert "services.csv: not UTF-8 text" in err.getvalue()


def _json_service(hsds_id: str, name: str) -> dict:
    return {
        "id": hsds_id,
        "name": name,
        "status": "active",
        "organization": {"id": "org-1", "name": "Valley Food Bank", "description": "Food."},
        "languages": [{"id": f"{hsds_id}-es", "code": "es", "name": "Spanish"}],
        "service_at_locations": [
            {
                "id": f"{hsds_id}-sal",
                "location": {
                    "id": f"{hsds_id}-loc",
                    "location_type": "physical",
                    "name": "Main St",
                    "latitude": 42.1,
                    "longitude": -72.6,
                    "addresses": [
                        {
                            "id": f"{hsds_id}-addr",
                            "address_1": "100 Main St",
                            "city": "Springfield",
                            "state_province": "MA",
                            "postal_code": "01103",
                            "country": "US",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": [
            {
                "id": f"{hsds_id}-attr",
                "taxonomy_term": {
                    "id": "term-food",
                    "name": "Food pantries",
                    "code": "BD-1800",
                    "description": "Places that give groceries.",
                },
            }
        ],
    }


def test_hsds_json_upserts_and_a_full_reimport_inactivates_what_is_missing(tmp_path):
    path = tmp_path / "services.json"
    path.write_text(
        json.dumps({"contents": [_json_service("s1", "Pantry"), _json_service("s2", "Meals")]})
    )
    out, _err = run(path)
    assert Service.objects.filter(status="active").count() == 2
    assert Service.objects.get(hsds_id="s1").service_at_locations.get().location.hsds_id == "s1-loc"
    assert TaxonomyTerm.objects.get().path == "term-food"

    path.write_text(json.dumps([_json_service("s1", "Pantry (new hours)")]))
    run(path, "--full")
    assert Service.objects.get(hsds_id="s1").name == "Pantry (new hours)"
    assert Service.objects.get(hsds_id="s2").status == "inactive"  # kept, not deleted
    assert Service.objects.count() == 2


def test_hsds_json_schema_errors_name_the_path(tmp_path):
    service = _json_service("s1", "Pantry")
    service["service_at_locations"][0]["location"]["latitude"] = "north"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([service]))
    with pytest.raises(CommandError):
        call_command("import_directory", str(path), stderr=(err := io.StringIO()), verbosity=0)
    assert (
        "bad.json, service 1 (id s1), field service_at_locations.0.location.latitude:"
        in err.getvalue()
    )
    assert not Service.objects.exists()
