"""The service directory: CSV import (all or nothing, line-numbered errors), export, search."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals.directory import ImportFailed, directory_export_csv, directory_import_csv
from referrals.models import Organization, Service, ServiceCategory
from referrals.selectors import services_search
from tests.referrals.factories import OrganizationFactory, ServiceFactory

pytestmark = pytest.mark.django_db

HEADER = "organization,name,category,languages,accepts_referrals,email,phone,hours\n"
GOOD = (
    HEADER
    + 'Harbor Food Bank,Weekly pantry,food,"en,es",yes,pantry@harbor.example,413-555-0101,Mon-Fri 9-5\n'
    + "Harbor Food Bank,Home delivery,Food,en,no,,,\n"
    + "Valley Legal Aid,Tenant help,legal,en;vi,,help@valley.example,,\n"
)


def run(text: str):
    return directory_import_csv(data=text.encode())


def test_a_good_file_adds_organizations_and_services():
    result = run(GOOD)
    assert (result.created, result.updated) == (3, 0)
    assert Organization.objects.count() == 2
    pantry = Service.objects.get(name="Weekly pantry")
    assert pantry.organization.name == "Harbor Food Bank"
    assert pantry.category == ServiceCategory.FOOD
    assert pantry.languages == "en,es"
    assert Service.objects.get(name="Home delivery").accepts_referrals is False
    assert Service.objects.get(name="Tenant help").languages == "en,vi"


def test_a_row_naming_an_existing_service_updates_it():
    run(GOOD)
    result = run(HEADER + "harbor food bank,WEEKLY PANTRY,food,en,no,,,Sat 10-2\n")
    assert (result.created, result.updated) == (0, 1)
    pantry = Service.objects.get(name__iexact="weekly pantry")
    assert (pantry.hours, pantry.accepts_referrals, pantry.languages) == ("Sat 10-2", False, "en")
    assert pantry.name == "WEEKLY PANTRY"  # the file is the source: its spelling wins
    assert Organization.objects.count() == 2


def test_bad_rows_are_all_reported_with_their_line_and_nothing_is_saved():
    text = (
        HEADER
        + "Harbor Food Bank,Weekly pantry,food,en,yes,,,\n"  # line 2: good
        + "Harbor Food Bank,,food,en,yes,,,\n"  # line 3: no name
        + "Valley Legal Aid,Tenant help,lawyers,en,yes,,,\n"  # line 4: category
        + 'Valley Legal Aid,"Clinic\nwith two lines",legal,xx,yes,,,\n'  # line 5: language
        + "North Shelter,Beds,housing,en,maybe,not-an-email,,\n"  # line 7: two problems
        + "Harbor Food Bank,Weekly pantry,food,en,yes,,,\n"  # line 8: twice in file
    )
    with pytest.raises(ImportFailed) as failed:
        run(text)
    lines = [error.line for error in failed.value.errors]
    assert lines == [3, 4, 5, 7, 8]
    messages = {error.line: str(error) for error in failed.value.errors}
    assert messages[3].startswith("Line 3:") and "name" in messages[3]
    assert "lawyers" in messages[4]
    assert "xx" in messages[5]
    assert "maybe" in messages[7]
    # Every problem of a line, not only the first (issue 25, item 14).
    assert "email" in messages[7].lower()
    assert "twice" in messages[8]
    assert not Organization.objects.exists()
    assert not Service.objects.exists()


def test_a_line_with_several_problems_names_each_of_them():
    text = HEADER + ",Beds,shelters,en,perhaps,not-an-email,,\n"
    with pytest.raises(ImportFailed) as failed:
        run(text)
    (error,) = failed.value.errors
    message = str(error)
    assert "organization: this field is required" in message
    assert "shelters" in message and "perhaps" in message and "email" in message.lower()


def test_a_bad_row_after_good_ones_leaves_existing_data_untouched():
    run(GOOD)
    text = HEADER + "Harbor Food Bank,Weekly pantry,food,en,no,,,Changed\nX,Y,nonsense,,,,,\n"
    with pytest.raises(ImportFailed) as failed:
        run(text)
    assert [e.line for e in failed.value.errors] == [3]
    assert Service.objects.get(name="Weekly pantry").hours == "Mon-Fri 9-5"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name,category\nPantry,food\n", "missing column"),
        ("organization,name,category,colour\nA,B,food,red\n", "unknown column"),
    ],
)
def test_a_wrong_header_is_line_one(text, reason):
    with pytest.raises(ImportFailed) as failed:
        run(text)
    (error,) = failed.value.errors
    assert error.line == 1
    assert reason in error.message


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(ImportFailed):
        directory_import_csv(data="organization,name,category\nCafé,x,food\n".encode("utf-16"))


def test_export_then_import_round_trips():
    run(GOOD)
    out = io.StringIO()
    directory_export_csv(Service.objects.select_related("organization").order_by("pk"), out)
    exported = out.getvalue()
    assert exported.splitlines()[0].startswith("organization,organization_description")
    Service.objects.update(hours="")
    result = run(exported)
    # Only the pantry had hours to bring back.
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Service.objects.get(name="Weekly pantry").hours == "Mon-Fri 9-5"
    # Imported back as it is: nothing to write.
    stamps = list(Service.objects.order_by("pk").values_list("updated_at", flat=True))
    again = run(exported)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Service.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_too_many_rows_are_refused_whole(monkeypatch):
    monkeypatch.setattr("referrals.directory.MAX_ROWS", 2)
    with pytest.raises(ImportFailed) as refused:
        run(GOOD)
    [error] = refused.value.errors
    assert "too many rows (at most 2)" in str(error)
    assert not Service.objects.exists()


def test_a_directory_import_runs_the_same_queries_for_10_or_400_rows():
    def rows(count: int, start: int = 0) -> str:
        return HEADER + "".join(
            f"Org {n % 3},Service {n},food,en,yes,,,\n" for n in range(start, start + count)
        )

    run(rows(3))  # the three organisations exist: each import below updates them

    def queries(text: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            run(text)
        return len(captured.captured_queries)

    assert queries(rows(10, start=100)) == queries(rows(400, start=1000))
    assert Service.objects.count() == 3 + 10 + 400


# --- Admin ------------------------------------------------------------------------------------


def test_admin_import_reports_errors_and_saves_nothing(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:referrals_service_import")
    bad = (HEADER + "A,B,food,en,yes,,,\nA,C,bogus,en,yes,,,\n").encode()
    response = client.post(url, {"file": SimpleUploadedFile("d.csv", bad, "text/csv")})
    assert response.status_code == 200
    assert "Line 3:" in response.content.decode()
    assert not Service.objects.exists()

    response = client.post(url, {"file": SimpleUploadedFile("d.csv", GOOD.encode(), "text/csv")})
    assert response.status_code == 302
    assert Service.objects.count() == 3


def import_in_admin(client, data: bytes):
    url = reverse("admin:referrals_service_import")
    return client.post(url, {"file": SimpleUploadedFile("d.csv", data, "text/csv")})


def test_a_row_with_fewer_values_than_columns_is_refused_not_read_as_blanks(client, admin_user):
    """Missing values are not blanks: they would empty an existing service's fields and a
    blank yes/no column reads as yes (a closed service reopened)."""
    pantry = ServiceFactory(
        organization=OrganizationFactory(name="Harbor Food Bank"),
        name="Weekly pantry",
        hours="Mon-Fri 9-5",
        is_active=False,
    )
    text = (
        "organization,name,category,hours,is_active\n"
        "Harbor Food Bank,New service,food,Sat,yes\n"
        "Harbor Food Bank,Weekly pantry,food\n"  # line 3: no hours, no is_active
    )
    client.force_login(admin_user)
    response = import_in_admin(client, text.encode())
    assert response.status_code == 200
    assert [str(error) for error in response.context["errors"]] == [
        "Line 3: fewer values than columns"
    ]
    assert "Line 3: fewer values than columns" in response.content.decode()
    pantry.refresh_from_db()
    assert (pantry.hours, pantry.is_active) == ("Mon-Fri 9-5", False)
    assert not Service.objects.filter(name="New service").exists()


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        # A field over the csv module's size limit (a quoted value left open, say).
        (HEADER + "A,B,food,en,yes,,,\n" + 'A,"' + "x" * 140_000 + "\n", 3, "unreadable CSV"),
        # A bare carriage return inside an unquoted value.
        (HEADER + "A,B,food,en,yes,,,\nA,C\rD,food,en,yes,,,\n", 3, "unreadable CSV"),
        # Read by the csv module, refused by PostgreSQL.
        (HEADER + "A,B,food,en,yes,,,\nA,C\x00,food,en,yes,,,\n", 3, "NUL"),
    ],
    ids=["oversized-field", "bare-carriage-return", "nul"],
)
def test_a_file_the_csv_reader_cannot_read_is_a_line_numbered_error(
    client, admin_user, data, line, reason
):
    client.force_login(admin_user)
    response = import_in_admin(client, data.encode())
    assert response.status_code == 200
    (error,) = response.context["errors"]
    assert error.line == line and reason in error.message
    assert f"Line {line}:" in response.content.decode()
    assert not Service.objects.exists()


def test_admin_export_and_changelist(client, admin_user):
    ServiceFactory(name="Pantry")
    client.force_login(admin_user)
    assert client.get(reverse("admin:referrals_service_changelist")).status_code == 200
    response = client.get(reverse("admin:referrals_service_export"))
    assert response["Content-Type"] == "text/csv"
    assert "Pantry" in response.content.decode()


def test_coordinators_cannot_import(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("admin:referrals_service_import"))
    assert response.status_code == 302  # to the admin login: not staff


# --- Search -----------------------------------------------------------------------------------


@pytest.fixture
def directory():
    harbor = OrganizationFactory(name="Harbor Food Bank")
    valley = OrganizationFactory(name="Valley Legal Aid")
    closed_org = OrganizationFactory(name="Closed Org", is_active=False)
    return {
        "pantry": ServiceFactory(
            organization=harbor, name="Weekly pantry", category="food", languages="en,es"
        ),
        "delivery": ServiceFactory(
            organization=harbor,
            name="Home delivery",
            category="food",
            languages="en",
            accepts_referrals=False,
        ),
        "tenant": ServiceFactory(
            organization=valley, name="Tenant help", category="legal", languages="vi,es,en"
        ),
        "retired": ServiceFactory(
            organization=valley, name="Old pantry", category="food", is_active=False
        ),
        "gone": ServiceFactory(organization=closed_org, name="Pantry two", category="food"),
        "creole": ServiceFactory(
            organization=valley, name="Other", category="other", languages="ht"
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"pantry", "delivery", "tenant", "creole"}),
        ({"q": "pantry"}, {"pantry"}),
        ({"q": "harbor"}, {"pantry", "delivery"}),
        ({"q": "HARBOR home"}, {"delivery"}),
        ({"category": "food"}, {"pantry", "delivery"}),
        ({"language": "es"}, {"pantry", "tenant"}),
        ({"language": "vi"}, {"tenant"}),
        ({"language": "en"}, {"pantry", "delivery", "tenant"}),
        ({"language": "ht"}, {"creole"}),
        ({"accepting_only": True, "category": "food"}, {"pantry"}),
    ],
)
def test_directory_search(directory, query, expected):
    found = {name for name, s in directory.items() if s in set(services_search(**query))}
    assert found == expected


def test_directory_page_searches_with_and_without_htmx(client, coordinator, directory):
    client.force_login(coordinator)
    url = reverse("referrals:directory")
    page = client.get(url, {"q": "pantry"})
    assert page.status_code == 200
    assert "Weekly pantry" in page.content.decode()
    assert "Tenant help" not in page.content.decode()
    assert "<html" in page.content.decode()
    partial = client.get(url, {"language": "vi"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "Tenant help" in partial.content.decode()


# --- Command line ----------------------------------------------------------------------------


def test_the_command_imports_a_file_and_says_what_it_did(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text(GOOD)
    out = io.StringIO()
    call_command("import_directory", str(path), stdout=out, stderr=io.StringIO(), verbosity=0)
    assert "Directory imported: 3 added, 0 updated, 0 unchanged." in out.getvalue()
    assert Service.objects.count() == 3


def test_the_command_checks_without_saving_on_a_dry_run(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text(GOOD)
    out = io.StringIO()
    call_command("import_directory", str(path), "--dry-run", stdout=out, verbosity=0)
    assert "Checked, nothing saved: 3 to add, 0 to update, 0 unchanged." in out.getvalue()
    assert not Service.objects.exists() and not Organization.objects.exists()


def test_the_command_prints_every_bad_line_and_fails_saving_nothing(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text(GOOD + "Harbor Food Bank,,food,en,yes,,,\nX,Y,astrology,en,yes,,,\n")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="saved nothing: 2 problem"):
        call_command("import_directory", str(path), stderr=errors, verbosity=0)
    lines = errors.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Line 5", "Line 6"]
    assert not Service.objects.exists()


def test_the_command_exits_1_on_a_file_it_cannot_read(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "import_directory", str(tmp_path / "missing.csv")],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Cannot read" in result.stderr and "No such file" in result.stderr


def test_the_export_writes_formulas_as_text_and_reads_them_back_as_they_were(client, admin_user):
    organization = OrganizationFactory(name='=HYPERLINK("http://evil.example","Open")')
    ServiceFactory(organization=organization, name="@SUM(1+1)", phone="+1 413 555 0101")
    client.force_login(admin_user)
    response = client.get(reverse("admin:referrals_service_export"))
    assert response.status_code == 200
    exported = response.content.decode()
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["organization"] == '\'=HYPERLINK("http://evil.example","Open")'
    assert row["name"] == "'@SUM(1+1)"
    assert row["phone"] == "'+1 413 555 0101"
    # Imported back unchanged: the guard is not taken for part of the value.
    result = run(exported)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert Service.objects.get().phone == "+1 413 555 0101"
