"""OpenAPI for the FHIR views: errors are OperationOutcome resources, in FHIR JSON."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from api.schema import CareHubAutoSchema

OPERATION_OUTCOME = OpenApiResponse(
    OpenApiTypes.OBJECT, description="A FHIR OperationOutcome saying what went wrong."
)


class FhirAutoSchema(CareHubAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super(CareHubAutoSchema, self)._get_response_bodies(direction)
        for code in ("400", "401", "403", "404", "429"):
            responses.setdefault(code, self._get_response_for_code(OPERATION_OUTCOME, code))
        return responses
