"""OpenAPI: every operation documents its errors with their bodies, and the token scheme.

``CareHubAutoSchema`` adds the answers any operation can give (401, 403, 429; 404 where a
record or a page is looked up; 400 where input is read; 409 and 412 where a record is
changed) to what each view declares with ``extend_schema``, and says what the API does
with versions and pages:

- a write whose body takes ``version`` also takes ``If-Match`` (ApiViewSet.expected_version);
- an answer holding one record with a ``version`` carries its ``ETag`` (ApiViewSet);
- ``page_size`` is 1 to the paginator's maximum and ``page`` at least 1 (else 400,
  api.base.check_page_parameters);
- every answer holding a record links to the operations on that record (OpenAPI links,
  ``add_record_links``): its read, change and moves with its id, and its ETag as the
  If-Match they take.
"""

from __future__ import annotations

import zoneinfo

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance, is_list_serializer, is_serializer
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from accounts.models import validate_time_zone
from api.base import IF_MATCH, MAX_PAGE


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class TransitionConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    current = serializers.CharField(required=False)
    target = serializers.CharField(required=False)
    allowed = serializers.ListField(child=serializers.CharField(), required=False)
    existing = serializers.IntegerField(required=False)
    matches = serializers.ListField(child=serializers.IntegerField(), required=False)
    hidden_count = serializers.IntegerField(required=False)
    hint = serializers.CharField(required=False)


# Field errors: {"field": ["message", ...], "non_field_errors": [...]}; nested for lists.
VALIDATION_ERROR = OpenApiResponse(
    response=inline_serializer(
        "ValidationError",
        fields={
            "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False)
        },
    ),
    description="Invalid input: errors by field name (non_field_errors for the rest).",
)
ERRORS = {
    "400": VALIDATION_ERROR,
    "401": OpenApiResponse(ErrorSerializer, description="No valid session or token."),
    "403": OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    "404": OpenApiResponse(
        ErrorSerializer, description="No such record in your scope (or no such page)."
    ),
    "409": OpenApiResponse(
        TransitionConflictSerializer,
        description="Refused by the state machine (current and allowed states) or a "
        "duplicate (ids of the records it duplicates). Nothing was changed.",
    ),
    "412": OpenApiResponse(
        ErrorSerializer,
        description="Stale write: the version (body or If-Match) is no longer current. "
        "Nothing was changed.",
    ),
    "429": OpenApiResponse(ErrorSerializer, description="Too many requests: slow down."),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ETAG = {
    "schema": {"type": "string", "pattern": r'^"[0-9]+"$'},
    "required": True,
    "description": 'The record\'s version, quoted (for example "3"): send it back as If-Match.',
}


def _has_version(serializer) -> bool:
    serializer = force_instance(serializer)
    if isinstance(serializer, OpenApiResponse):
        serializer = force_instance(serializer.response)
    return (
        is_serializer(serializer)
        and not is_list_serializer(serializer)
        and "version" in serializer.fields
    )


class CareHubAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A list of records that may not be empty (many=True, allow_empty=False) says so
        # (drf-spectacular gives ListField's bounds, not a nested list's).
        if (
            is_list_serializer(field)
            and not field.read_only
            and schema.get("type") == "array"
            and field.allow_empty is False
        ):
            schema.setdefault("minItems", 1)
        # A decimal taken as a JSON number has at most its decimal places.
        if (
            isinstance(field, serializers.DecimalField)
            and not field.read_only
            and field.decimal_places is not None
            and schema.get("type") == "number"
        ):
            schema.setdefault("multipleOf", float(f"1e-{field.decimal_places}"))
        # A text that may not be blank is read without its outer whitespace: it must hold
        # something else ("  " is blank).
        if (
            isinstance(field, serializers.CharField)
            and not field.read_only
            and not field.allow_blank
            and field.trim_whitespace
            and schema.get("type") == "string"
            and "enum" not in schema
            and "format" not in schema
        ):
            schema.setdefault("pattern", r"\S")
        # A time zone is one of the IANA zones this server knows (or blank where allowed).
        if validate_time_zone in getattr(field, "validators", ()) and "enum" not in schema:
            blank = [""] if getattr(field, "allow_blank", False) else []
            schema["enum"] = [*blank, *sorted(zoneinfo.available_timezones())]
        return schema

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if (
            self.method in WRITE_METHODS
            and _has_version(self.get_request_serializer())
            and not any(
                isinstance(p, OpenApiParameter) and p.name == IF_MATCH.name for p in parameters
            )
        ):
            parameters = [*parameters, IF_MATCH]
        return parameters

    def _get_pagination_parameters(self):
        parameters = super()._get_pagination_parameters()
        paginator = self._get_paginator()
        for parameter in parameters:
            name, schema = parameter["name"], parameter["schema"]
            if name == getattr(paginator, "page_size_query_param", None):
                schema.update(minimum=1, maximum=paginator.max_page_size)
            elif name == getattr(paginator, "page_query_param", None):
                schema.update(minimum=1, maximum=MAX_PAGE)
        return parameters

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if (
            status_code in ("200", "201")
            and not self._is_list_view(force_instance(serializer))
            and _has_version(serializer)
        ):
            response = {"headers": {**response.get("headers", {}), "ETag": ETAG}, **response}
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403", "429", "404", "400"]
        if self.method in WRITE_METHODS:
            codes += ["409", "412"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ERRORS[code], code)
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from Security > API tokens: "
            "`Authorization: Bearer chk_...`.",
        }


_METHODS = ("get", "post", "patch", "put", "delete")


def add_record_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: OpenAPI links from each answer holding a record
    (the list's first, a create's, a read's, a change's or a move's) to every operation
    on that record: ``/x/{id}/`` and the paths under it that take no other parameter. The
    id comes from the answer's body; If-Match, where the target takes it, from its ETag."""
    paths = result.get("paths", {})
    for record_path in [p for p in paths if p.endswith("/{id}/")]:
        collection = record_path[: -len("{id}/")]
        targets = [
            (operation["operationId"], _takes_if_match(operation))
            for path, operations in paths.items()
            if path.startswith(record_path) and path.count("{") == 1
            for method, operation in operations.items()
            if method in _METHODS
        ]
        sources = [
            (paths.get(collection, {}).get("get"), "200", "$response.body#/results/0/id"),
            (paths.get(collection, {}).get("post"), "201", "$response.body#/id"),
        ]
        for path in (record_path, f"{record_path}transition/"):
            for method in ("get", "patch", "post"):
                sources.append((paths.get(path, {}).get(method), "200", "$response.body#/id"))
        for operation, status, id_from in sources:
            answer = (operation or {}).get("responses", {}).get(status)
            if answer is None or "content" not in answer:
                continue
            has_etag = "ETag" in answer.get("headers", {})
            links = answer.setdefault("links", {})
            for operation_id, if_match in targets:
                parameters = {"path.id": id_from}
                if if_match and has_etag and id_from == "$response.body#/id":
                    parameters["header.If-Match"] = "$response.header.ETag"
                links[operation_id] = {"operationId": operation_id, "parameters": parameters}
    return result


def _takes_if_match(operation: dict) -> bool:
    return any(
        parameter.get("in") == "header" and parameter.get("name") == IF_MATCH.name
        for parameter in operation.get("parameters", ())
    )
