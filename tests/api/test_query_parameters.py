"""A list's query parameters are read as the schema describes them: a value of the wrong
type, an empty one (but for text) or a repeated one answers 400 with the parameter's
errors, never 200 with the filter dropped; and the schema says what is accepted (ids from
1, page sizes 1 to 200, nullable answers, the ETag and If-Match headers)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from referrals.models import Referral
from reminders.models import Notification
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        # A yes/no filter takes true or false, not null, garbage or nothing.
        ("/api/v1/organizations/", "is_active=garbage", "is_active"),
        ("/api/v1/teams/", "is_active=garbage", "is_active"),  # filterset_fields
        ("/api/v1/users/", "is_active=null", "is_active"),
        ("/api/v1/notifications/", "unread=null", "unread"),
        ("/api/v1/notifications/", "unread=unknown", "unread"),
        ("/api/v1/notifications/", "unread=", "unread"),
        ("/api/v1/referrals/", "open=yes", "open"),
        ("/api/v1/tasks/", "overdue=2", "overdue"),
        # An id, a choice or a date: never empty, one value.
        ("/api/v1/referrals/", "patient=", "patient"),
        ("/api/v1/referrals/", "patient=1&patient=2", "patient"),
        ("/api/v1/referrals/", "priority=", "priority"),
        ("/api/v1/notifications/", "kind=", "kind"),
        ("/api/v1/assessments/", "assessed_after=", "assessed_after"),
        ("/api/v1/referrals/", "patient=0", "patient"),
        # The page size: a whole number from 1 to the maximum; a page number from 1.
        ("/api/v1/organizations/", "page_size=", "page_size"),
        ("/api/v1/organizations/", "page_size=null", "page_size"),
        ("/api/v1/reminders/", "page_size=null&page_size=null", "page_size"),
        ("/api/v1/referrals/", "page_size=0", "page_size"),
        ("/api/v1/patients/", "page_size=201", "page_size"),
        ("/api/v1/teams/", "page_size=1.5", "page_size"),
        ("/api/v1/teams/", "page=0", "page"),
        ("/api/v1/teams/", "page=abc", "page"),
        ("/api/v1/teams/", "page=", "page"),
    ],
)
def test_an_invalid_parameter_answers_400_with_its_error(api, path, query, parameter):
    response = api.get(f"{path}?{query}")
    assert response.status_code == 400, (query, response.content)
    errors = response.json()
    assert list(errors) == [parameter], errors
    assert errors[parameter] and all(isinstance(m, str) for m in errors[parameter])


@pytest.mark.parametrize(
    "query",
    [
        "",
        "search=",  # text may be empty
        "ordering=",
        "open=true",
        "open=FALSE",
        "status=sent&status=draft",  # a list parameter repeats
        "page_size=1",
        "page_size=200",
        "patient=9223372036854775807",
    ],
)
def test_valid_parameters_answer_200(api, patient, coordinator, query):
    ReferralFactory(patient=patient, referred_by=coordinator)
    assert api.get(f"/api/v1/referrals/?{query}").status_code == 200


def test_a_yes_no_filter_filters(api, coordinator):
    Notification.objects.create(user=coordinator, kind="task_due", title="Due")
    read = Notification.objects.create(user=coordinator, kind="task_due", title="Read")
    read.read_at = read.created_at
    read.save()
    unread = api.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["title"] for n in unread] == ["Due"]
    assert api.get("/api/v1/notifications/?unread=False").json()["count"] == 1
    assert api.get("/api/v1/notifications/").json()["count"] == 2


def test_a_page_past_the_last_is_still_404(api):
    assert api.get("/api/v1/teams/?page=99").status_code == 404


def _parameters(schema, path, method="get"):
    return {p["name"]: p for p in schema["paths"][path][method].get("parameters", [])}


def test_the_schema_bounds_ids_and_pages(schema):
    referrals = _parameters(schema, "/api/v1/referrals/")
    assert referrals["patient"]["schema"]["minimum"] == 1
    assert referrals["patient"]["schema"]["maximum"] == 2**63 - 1
    assert referrals["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    teams = _parameters(schema, "/api/v1/teams/")
    assert teams["page"]["schema"]["minimum"] == 1
    assert teams["is_active"]["schema"] == {"type": "boolean"}
    body = schema["components"]["schemas"]["ReferralCreateRequest"]["properties"]
    assert body["patient"]["minimum"] == 1


def test_the_schema_says_which_answers_may_be_null(schema, api, patient, coordinator):
    fields = schema["components"]["schemas"]["Referral"]["properties"]
    for name in ("service_name", "organization", "organization_name"):
        assert fields[name].get("nullable") is True, name
    # A referral to a named recipient (no directory service) answers null there.
    referral = ReferralFactory(
        patient=patient, referred_by=coordinator, service=None, recipient_name="Dr Who"
    )
    assert Referral.objects.get(pk=referral.pk).service_id is None
    answer = api.get(f"/api/v1/referrals/{referral.pk}/").json()
    assert answer["organization"] is None and answer["organization_name"] is None


def test_the_schema_documents_etag_and_if_match(schema):
    patch = schema["paths"]["/api/v1/referrals/{id}/"]["patch"]
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert (
        "ETag" in schema["paths"]["/api/v1/referrals/{id}/"]["get"]["responses"]["200"]["headers"]
    )
    assert "ETag" in schema["paths"]["/api/v1/referrals/"]["post"]["responses"]["201"]["headers"]
    # A list carries no ETag; a write whose body takes a version takes If-Match too.
    assert "headers" not in schema["paths"]["/api/v1/referrals/"]["get"]["responses"]["200"]
    assert "If-Match" in _parameters(schema, "/api/v1/referrals/{id}/contacts/", "post")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "patch") and "requestBody" in operation:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                name = body.get("$ref", "").split("/")[-1]
                properties = schema["components"]["schemas"].get(name, {}).get("properties", {})
                if "version" in properties:
                    assert "If-Match" in _parameters(schema, path, method), (path, method)
