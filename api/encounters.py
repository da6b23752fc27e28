"""/api/v1/encounters/ (FHIR Encounter): a patient's stays and visits elsewhere, as the
notices that came in (interfaces) made them. Read only: notices change encounters."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from api.base import ApiFilterSet, ApiViewSet, IdFilter, ReadSerializer, UtcDateTimeFilter
from api.pagination import CursorPagination
from encounters.models import Encounter, EncounterClass, EncounterStatus
from encounters.permissions import access_encounter
from encounters.selectors import encounters_visible_to


class DiagnosisSerializer(serializers.Serializer):
    code = serializers.CharField(allow_blank=True)
    system = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True)


class EncounterSerializer(ReadSerializer):
    diagnoses = DiagnosisSerializer(many=True, read_only=True)

    class Meta:
        model = Encounter
        fields = [
            "id", "patient", "encounter_class", "status", "facility", "visit_number",
            "admitted_at", "discharged_at", "location", "attending", "reason", "diagnoses",
            "discharge_disposition", "is_readmission", "updated_at",
        ]  # fmt: skip


class EncounterFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    encounter_class = django_filters.MultipleChoiceFilter(choices=EncounterClass.choices)
    status = django_filters.MultipleChoiceFilter(choices=EncounterStatus.choices)
    admitted_after = UtcDateTimeFilter(field_name="admitted_at", lookup_expr="gte")
    admitted_before = UtcDateTimeFilter(field_name="admitted_at", lookup_expr="lt")

    class Meta:
        model = Encounter
        fields = ["patient", "encounter_class", "status", "is_readmission"]


@extend_schema_view(
    list=extend_schema(summary="Your patients' stays and visits elsewhere (cursor pages)"),
    retrieve=extend_schema(summary="One encounter"),
)
class EncounterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = EncounterSerializer
    pagination_class = CursorPagination
    filterset_class = EncounterFilter
    ordering_fields = ["admitted_at", "updated_at", "id"]
    ordering = ["-updated_at", "-id"]
    perms = {"list": "encounters.view_encounter", "retrieve": "encounters.view_encounter"}

    def get_queryset(self):
        return encounters_visible_to(self.request.user)

    def get_object(self):
        return access_encounter(self.request.user, self.kwargs["pk"])
