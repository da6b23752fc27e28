"""/hsds/: the HSDS 3 read endpoints, their paging and parameters, public by a setting."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from tests.directory.test_import import _json_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(tmp_path):
    path = tmp_path / "services.json"
    services = [_json_service(f"s{n}", f"Service {n}") for n in range(3)]
    services[0]["attributes"][0]["taxonomy_term"] = {
        "id": "term-child",
        "name": "Emergency food",
        "description": "Food today.",
        "parent_id": "term-food",
    }
    path.write_text(json.dumps(services[1:] + services[:1]))
    call_command("import_directory", str(path), verbosity=0)


def test_token_or_session_needed_unless_public(client, settings, directory):
    assert client.get("/hsds/services").status_code == 401
    settings.HSDS_API_PUBLIC = True
    body = client.get("/hsds/services?per_page=2").json()
    assert (body["total_items"], body["total_pages"], body["size"]) == (3, 2, 2)
    assert body["first_page"] and not body["last_page"]
    assert [s["id"] for s in body["contents"]] == ["s0", "s1"]
    last = client.get("/hsds/services?per_page=2&page=2").json()
    assert last["last_page"] and [s["id"] for s in last["contents"]] == ["s2"]


def test_service_detail_and_filters(client, settings, directory):
    settings.HSDS_API_PUBLIC = True
    service = client.get("/hsds/services/s1").json()
    assert service["organization"]["id"] == "org-1"
    location = service["service_at_locations"][0]["location"]
    assert (location["latitude"], location["addresses"][0]["city"]) == (42.1, "Springfield")
    assert service["languages"][0]["code"] == "es"
    assert client.get("/hsds/services/nope").status_code == 404
    # A term includes the terms under it.
    ids = [
        s["id"] for s in client.get("/hsds/services?taxonomy_term_id=term-food").json()["contents"]
    ]
    assert ids == ["s0", "s1", "s2"]
    ids = [
        s["id"] for s in client.get("/hsds/services?taxonomy_term_id=term-child").json()["contents"]
    ]
    assert ids == ["s0"]
    assert client.get("/hsds/services?search=service 2").json()["total_items"] == 1
    assert (
        client.get("/hsds/taxonomy_terms?parent_id=term-food").json()["contents"][0]["id"]
        == "term-child"
    )
    assert client.get("/hsds/organizations").json()["contents"][0]["id"] == "org-1"
    assert client.get("/hsds/service_at_locations").json()["total_items"] == 3
    assert client.get("/hsds/taxonomies").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=x",
        "per_page=1000",
        "modified_after=yesterday",
        "search=%00",
        "page=99999999999999999999",
    ],
)
def test_bad_parameters_are_400_never_500(client, settings, directory, query):
    settings.HSDS_API_PUBLIC = True
    response = client.get(f"/hsds/services?{query}")
    assert response.status_code == 400
