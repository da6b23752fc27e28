"""GET /fhir/<Type>/<id> and /fhir/Patient/<id>/$everything: FHIR R4 JSON
(application/fhir+json), with the API's authentication (session or token) and the same
access functions as the pages: outside the user's scope, a 404 OperationOutcome."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import api_exception_handler
from api.throttling import ThrottleFirst
from audit import context as audit_context
from audit.models import AuditAction
from benefits.permissions import access_coverage
from careplans.permissions import access_care_plan, access_goal, access_task
from encounters.permissions import access_encounter
from encounters.selectors import encounters_visible_to
from fhir_export import resources
from fhir_export.schema import FhirAutoSchema
from fhir_export.selectors import patient_everything
from patients.permissions import access_patient
from programs.permissions import access_enrolment
from referrals.permissions import access_referral

ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 429: "throttled"}


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class AlwaysFhirJSON(BaseContentNegotiation):
    """FHIR JSON whatever the Accept header says (clients send application/json too)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def operation_outcome(status_code: int, diagnostics: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": ISSUE_CODES.get(status_code, "processing"),
                "diagnostics": diagnostics,
            }
        ],
    }


def fhir_exception_handler(exc, context):
    response = api_exception_handler(exc, context)
    if response is not None:
        data = response.data
        detail = data.get("detail") if isinstance(data, dict) else None
        response.data = operation_outcome(response.status_code, str(detail or data))
    return response


@csrf_exempt  # it changes nothing; a CSRF refusal would be an HTML page
@login_not_required
def not_found(request, rest: str = "") -> HttpResponse:
    """Any other path under /fhir/: a 404 OperationOutcome, not an HTML page."""
    return HttpResponse(
        json.dumps(operation_outcome(404, "Not found.")),
        status=404,
        content_type=FhirJSONRenderer.media_type,
    )


class FhirView(ThrottleFirst, APIView):
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = AlwaysFhirJSON
    schema = FhirAutoSchema()

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))

    def get_exception_handler(self):
        return fhir_exception_handler


RESOURCE = OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 resource.")


class PatientRead(FhirView):
    @extend_schema(summary="FHIR Patient", responses={200: RESOURCE}, tags=["fhir"])
    def get(self, request, id: str):
        return Response(resources.patient(access_patient(request.user, int(id))))


class CarePlanRead(FhirView):
    @extend_schema(summary="FHIR CarePlan", responses={200: RESOURCE}, tags=["fhir"])
    def get(self, request, id: str):
        plan = access_care_plan(request.user, int(id))
        return Response(
            resources.care_plan(
                plan,
                goal_ids=plan.goals.values_list("pk", flat=True),
                task_ids=plan.tasks.values_list("pk", flat=True),
            )
        )


class GoalRead(FhirView):
    @extend_schema(summary="FHIR Goal", responses={200: RESOURCE}, tags=["fhir"])
    def get(self, request, id: str):
        goal = access_goal(request.user, int(id))
        goal = type(goal).objects.with_achievement().select_related("care_plan").get(pk=goal.pk)
        return Response(resources.goal(goal, progress=goal.progress.all()))


class ServiceRequestRead(FhirView):
    @extend_schema(
        summary="FHIR ServiceRequest (a referral)", responses={200: RESOURCE}, tags=["fhir"]
    )
    def get(self, request, id: str):
        return Response(resources.service_request(access_referral(request.user, int(id))))


class TaskRead(FhirView):
    @extend_schema(
        summary="FHIR Task: a care plan task or follow-up, or a referral's fulfilment Task "
        "(id referral-<referral id>)",
        responses={200: RESOURCE},
        tags=["fhir"],
    )
    def get(self, request, id: str):
        if id.startswith("referral-"):
            referral = access_referral(request.user, int(id.removeprefix("referral-")))
            resource = resources.fulfilment_task(referral)
            if resource is None:
                raise Http404  # a draft has no fulfilment Task yet
            return Response(resource)
        task = access_task(request.user, int(id))
        return Response(resources.task(task))


class EpisodeOfCareRead(FhirView):
    @extend_schema(
        summary="FHIR EpisodeOfCare (a program enrolment)", responses={200: RESOURCE}, tags=["fhir"]
    )
    def get(self, request, id: str):
        enrolment = access_enrolment(request.user, int(id))
        moves = enrolment.transitions.order_by("occurred_at", "pk")
        return Response(resources.episode_of_care(enrolment, transitions=moves))


class CoverageRead(FhirView):
    @extend_schema(summary="FHIR Coverage", responses={200: RESOURCE}, tags=["fhir"])
    def get(self, request, id: str):
        return Response(resources.coverage(access_coverage(request.user, int(id))))


class EncounterRead(FhirView):
    @extend_schema(
        summary="FHIR Encounter (a stay or visit elsewhere)",
        responses={200: RESOURCE},
        tags=["fhir"],
    )
    def get(self, request, id: str):
        return Response(resources.encounter(access_encounter(request.user, int(id))))


SEARCH_COUNT, SEARCH_MAX = 50, 200


def _search_int(request, name: str, default: int, *, low: int, high: int) -> int:
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1 or not values[0].isdigit() or not low <= int(values[0]) <= high:
        raise ValidationError({name: [f"Give one whole number from {low} to {high}."]})
    return int(values[0])


class EncounterSearch(FhirView):
    """GET /fhir/Encounter?patient=ID (or subject=Patient/ID): a searchset Bundle of the
    encounters in your scope, newest first, ``_count`` a page (at most 200), ``page`` from 1.
    Parameters CareHub does not know are ignored, as FHIR servers do by default."""

    @extend_schema(
        summary="FHIR Encounter search (patient, _count, page)",
        operation_id="fhir_Encounter_search",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR Bundle.")},
        tags=["fhir"],
    )
    def get(self, request):
        encounters = encounters_visible_to(request.user).order_by("-admitted_at", "-pk")
        if not request.user.has_perm("encounters.view_encounter"):
            encounters = encounters.none()
        applied = {}
        for name in ("patient", "subject"):
            values = request.query_params.getlist(name)
            if not values:
                continue
            value = values[0].removeprefix("Patient/")
            if len(values) > 1 or not value.isdigit() or len(value) > 18:
                raise ValidationError({name: ["Give one patient id (or Patient/id)."]})
            encounters = encounters.filter(patient_id=int(value))
            applied[name] = values[0]
        count = _search_int(request, "_count", SEARCH_COUNT, low=1, high=SEARCH_MAX)
        page = _search_int(request, "page", 1, low=1, high=10**9)
        rows = list(encounters[(page - 1) * count : page * count + 1])
        more = len(rows) > count
        rows = rows[:count]
        audit_context.note_listed(rows)

        def link(relation: str, number: int) -> dict:
            query = urlencode({**applied, "_count": count, "page": number})
            return {
                "relation": relation,
                "url": request.build_absolute_uri(f"/fhir/Encounter?{query}"),
            }

        links = [link("self", page)] + ([link("next", page + 1)] if more else [])
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": timezone.now().isoformat(),
            "link": links,
            "entry": [
                {
                    "fullUrl": request.build_absolute_uri(f"/fhir/Encounter/{e.pk}"),
                    "resource": resources.encounter(e),
                    "search": {"mode": "match"},
                }
                for e in rows
            ],
        }
        return Response(bundle)


class PatientEverything(FhirView):
    @extend_schema(
        summary="FHIR Patient $everything: a Bundle of the patient's records",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR Bundle.")},
        tags=["fhir"],
    )
    def get(self, request, id: str):
        patient = access_patient(request.user, int(id))
        audit_context.note_action(AuditAction.EXPORT)
        entries = patient_everything(patient, request.user)

        def entry(resource: dict, mode: str) -> dict:
            url = f"/fhir/{resource['resourceType']}/{resource['id']}"
            return {
                "fullUrl": request.build_absolute_uri(url),
                "resource": resource,
                "search": {"mode": mode},
            }

        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": timezone.now().isoformat(),
            "total": len(entries.matches),
            "entry": [entry(r, "match") for r in entries.matches]
            + [entry(r, "include") for r in entries.included],
        }
        return Response(bundle)
