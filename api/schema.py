"""OpenAPI: every operation documents its errors with their bodies, and the token scheme.

``CareHubAutoSchema`` adds the answers any operation can give (401, 403, 429; 404 where a
record or a page is looked up; 400 where input is read; 409 and 412 where a record is
changed) to what each view declares with ``extend_schema``.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


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


class CareHubAutoSchema(AutoSchema):
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
