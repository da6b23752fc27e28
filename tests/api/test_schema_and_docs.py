"""The OpenAPI schema is valid OpenAPI 3 and documents every endpoint with its errors;
Swagger UI and ReDoc come from local files and work under the site's CSP."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from openapi_spec_validator import validate as validate_openapi

from tests.test_access_matrix import ROUTES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi_3(schema):
    validate_schema(schema)  # drf-spectacular's check against the OpenAPI 3.0 JSON schema
    validate_openapi(schema)  # openapi-spec-validator: references, parameters, structure
    assert schema["openapi"].startswith("3.")


def test_the_schema_is_served_to_signed_in_callers(api, client):
    response = api.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    validate_openapi(response.json())
    assert client.get(reverse("api:schema")).status_code == 401


# Actions whose request has no body: marking notifications read.
TAKE_NO_INPUT = {
    ("/api/v1/notifications/{id}/read/", "POST"),
    ("/api/v1/notifications/read-all/", "POST"),
}


def test_every_api_and_fhir_route_is_documented(schema):
    documented = {
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
    }
    api_routes = {key for key in ROUTES if key.startswith(("api:", "fhir:"))} - {
        "api:schema",
        "api:docs",
        "api:redoc",
    }
    assert len({(p, m) for p, m in documented}) >= len({r.split("#")[0] for r in api_routes})
    for path, method in documented:
        operation = schema["paths"][path][method.lower()]
        assert operation.get("summary"), (path, method)
        codes = set(operation["responses"])
        assert {"401", "403", "404", "429"} <= codes, (path, method)
        if method in ("POST", "PATCH"):
            assert {"400", "409", "412"} <= codes, (path, method)
            if (path, method) not in TAKE_NO_INPUT:
                assert "requestBody" in operation, (path, method)


def test_transitions_document_their_409_body(schema):
    operation = schema["paths"]["/api/v1/referrals/{id}/transition/"]["post"]
    conflict = operation["responses"]["409"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][conflict["$ref"].split("/")[-1]]
    assert {"current", "allowed", "detail"} <= set(component["properties"])


def test_fhir_answers_are_documented_as_fhir_json(schema):
    responses = schema["paths"]["/fhir/Patient/{id}"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"application/fhir+json"}
    assert set(responses["404"]["content"]) == {"application/fhir+json"}


def test_swagger_ui_uses_local_files_and_the_strict_policy(coordinator_client):
    response = coordinator_client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and "<style>" not in html and "https://" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = coordinator_client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}"), name
    assert finders.find("api/docs.css")


def test_redoc_relaxes_styles_only(coordinator_client):
    response = coordinator_client.get(reverse("api:redoc"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and "fonts.googleapis" not in html
    directives = {
        part.split()[0]: part.split()[1:]
        for part in response["Content-Security-Policy"].split("; ")
    }
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in directives["style-src"]
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")


def test_the_docs_send_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
