"""/api/v1/coverages/ (FHIR Coverage) and /api/v1/prior-authorisations/: benefits.services
as the pages use it. Case managers write; the team's coordinators read (accounts.roles)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from api.base import (
    IF_MATCH,
    ApiFilterSet,
    ApiViewSet,
    IdField,
    IdFilter,
    ReadSerializer,
    ScopedSerializer,
    WriteModelSerializer,
)
from api.pagination import CursorPagination
from benefits import services
from benefits.models import Coverage, CoverageStatus, PriorAuthorisation
from benefits.permissions import access_authorisation, access_coverage
from benefits.selectors import authorisations_visible_to, coverages_visible_to
from patients.models import Patient
from patients.permissions import access_patient
from patients.selectors import patients_visible_to

# --- Coverage --------------------------------------------------------------------------------


class CoverageSerializer(ReadSerializer):
    is_expired = serializers.BooleanField(read_only=True, help_text="Ended before today.")

    class Meta:
        model = Coverage
        fields = [
            "id", "patient", "payer", "plan_name", "member_id", "group_id",
            "subscriber_relationship", "subscriber_name", "order", "status", "effective_from",
            "effective_to", "is_expired", "created_at", "updated_at", "version",
        ]  # fmt: skip


class CoverageWriteSerializer(WriteModelSerializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded (or If-Match)."
    )

    class Meta:
        model = Coverage
        fields = [*services.COVERAGE_FIELDS, "version"]


class CoverageCreateSerializer(ScopedSerializer, CoverageWriteSerializer):
    patient = IdField(queryset=Patient.objects.none())

    class Meta(CoverageWriteSerializer.Meta):
        fields = ["patient", *services.COVERAGE_FIELDS]

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)


class CoverageFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    status = django_filters.MultipleChoiceFilter(choices=CoverageStatus.choices)
    in_force_on = django_filters.DateFilter(
        method="filter_in_force_on", label="In its period on this day"
    )

    class Meta:
        model = Coverage
        fields = ["patient", "status", "order", "subscriber_relationship"]

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(effective_from__lte=value).exclude(effective_to__lt=value)


@extend_schema_view(
    list=extend_schema(summary="Insurance coverage of your patients (cursor pages)"),
    retrieve=extend_schema(summary="One coverage"),
)
class CoverageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CoverageSerializer
    pagination_class = CursorPagination
    filterset_class = CoverageFilter
    search_fields = ["payer", "plan_name"]
    ordering_fields = ["effective_from", "updated_at", "id"]
    ordering = ["-effective_from", "-id"]
    perms = {
        "list": "benefits.view_coverage",
        "retrieve": "benefits.view_coverage",
        "create": "benefits.add_coverage",
    }

    def get_queryset(self):
        return coverages_visible_to(self.request.user)

    def get_object(self):
        return access_coverage(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Add a patient's coverage",
        request=CoverageCreateSerializer,
        responses={201: CoverageSerializer},
    )
    def create(self, request):
        incoming = CoverageCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(request.user, data.pop("patient").pk, perm="benefits.add_coverage")
        coverage = services.coverage_create(patient=patient, by=request.user, data=data)
        return Response(CoverageSerializer(coverage).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a coverage (entered-in-error marks a mistake)",
        request=CoverageWriteSerializer,
        responses={200: CoverageSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        coverage = access_coverage(request.user, pk, perm="benefits.change_coverage")
        incoming = CoverageWriteSerializer(coverage, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        version = self.expected_version(data.pop("version", None), required=True)
        coverage = services.coverage_update(
            coverage=coverage, by=request.user, data=data, expected_version=version
        )
        return Response(CoverageSerializer(coverage).data)


# --- Prior authorisations --------------------------------------------------------------------


class PriorAuthorisationSerializer(ReadSerializer):
    units_left = serializers.IntegerField(read_only=True)
    is_expired = serializers.SerializerMethodField()

    class Meta:
        model = PriorAuthorisation
        fields = [
            "id", "patient", "coverage", "service", "payer", "reference_number",
            "units_approved", "units_used", "units_left", "valid_from", "valid_to",
            "is_expired", "notes", "created_at", "updated_at", "version",
        ]  # fmt: skip

    def get_is_expired(self, authorisation: PriorAuthorisation) -> bool:
        """Valid until a day before today."""
        return authorisation.is_expired_on(timezone.localdate())


class PriorAuthorisationUpdateSerializer(WriteModelSerializer):
    coverage = IdField(
        queryset=Coverage.objects.none(),
        required=False,
        allow_null=True,
        help_text="One of the patient's coverages.",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded (or If-Match)."
    )

    class Meta:
        model = PriorAuthorisation
        fields = [*services.AUTHORISATION_FIELDS, "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, PriorAuthorisation):
            self.fields["coverage"].queryset = Coverage.objects.filter(
                patient_id=self.instance.patient_id
            )


class PriorAuthorisationCreateSerializer(ScopedSerializer, PriorAuthorisationUpdateSerializer):
    patient = IdField(queryset=Patient.objects.none())

    class Meta(PriorAuthorisationUpdateSerializer.Meta):
        fields = ["patient", *services.AUTHORISATION_FIELDS]

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)
        # Another patient's coverage in scope is refused by the service (400, coverage).
        self.fields["coverage"].queryset = coverages_visible_to(user)


class PriorAuthorisationFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    coverage = IdFilter(field_name="coverage_id")
    valid_on = django_filters.DateFilter(method="filter_valid_on", label="Valid on this day")
    ends_before = django_filters.DateFilter(field_name="valid_to", lookup_expr="lt")
    ends_after = django_filters.DateFilter(field_name="valid_to", lookup_expr="gte")

    class Meta:
        model = PriorAuthorisation
        fields = ["patient", "coverage"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value, valid_to__gte=value)


@extend_schema_view(
    list=extend_schema(summary="Prior authorisations of your patients (cursor pages, by end)"),
    retrieve=extend_schema(summary="One prior authorisation"),
)
class PriorAuthorisationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PriorAuthorisationSerializer
    pagination_class = CursorPagination
    filterset_class = PriorAuthorisationFilter
    search_fields = ["service", "payer", "reference_number"]
    ordering_fields = ["valid_to", "valid_from", "updated_at", "id"]
    ordering = ["valid_to", "id"]
    perms = {
        "list": "benefits.view_priorauthorisation",
        "retrieve": "benefits.view_priorauthorisation",
        "create": "benefits.add_priorauthorisation",
    }

    def get_queryset(self):
        return authorisations_visible_to(self.request.user)

    def get_object(self):
        return access_authorisation(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Add a prior authorisation (its case manager is reminded before it ends)",
        request=PriorAuthorisationCreateSerializer,
        responses={201: PriorAuthorisationSerializer},
    )
    def create(self, request):
        incoming = PriorAuthorisationCreateSerializer(
            data=request.data, context={"request": request}
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(
            request.user, data.pop("patient").pk, perm="benefits.add_priorauthorisation"
        )
        authorisation = services.authorisation_create(patient=patient, by=request.user, data=data)
        return Response(
            PriorAuthorisationSerializer(authorisation).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change a prior authorisation (units used, a new end date ...)",
        request=PriorAuthorisationUpdateSerializer,
        responses={200: PriorAuthorisationSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        authorisation = access_authorisation(
            request.user, pk, perm="benefits.change_priorauthorisation"
        )
        incoming = PriorAuthorisationUpdateSerializer(
            authorisation, data=request.data, partial=True
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        version = self.expected_version(data.pop("version", None), required=True)
        authorisation = services.authorisation_update(
            authorisation=authorisation, by=request.user, data=data, expected_version=version
        )
        return Response(PriorAuthorisationSerializer(authorisation).data)
