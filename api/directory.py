"""/api/v1/services/ and /api/v1/organizations/: the service directory (read)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from api.base import ApiFilterSet, ApiViewSet, IdFilter, ReadSerializer
from patients.models import Language
from referrals.models import Organization, Service, ServiceCategory, split_languages


class OrganizationSerializer(ReadSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "description", "website", "email", "phone", "is_active"]


class ServiceSerializer(ReadSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    languages = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = [
            "id", "organization", "organization_name", "name", "description", "category",
            "address_line", "city", "region", "postal_code", "phone", "email", "website",
            "hours", "languages", "eligibility_notes", "accepts_referrals", "is_active",
        ]  # fmt: skip

    def get_languages(self, service: Service) -> list[str]:
        """Language codes (BCP 47) the service speaks."""
        return split_languages(service.languages)


class ServiceFilter(ApiFilterSet):
    organization = IdFilter(field_name="organization_id")
    category = django_filters.ChoiceFilter(choices=ServiceCategory.choices)
    language = django_filters.ChoiceFilter(
        choices=Language.choices, method="filter_language", label="Speaks this language"
    )
    accepts_referrals = django_filters.BooleanFilter()
    available = django_filters.BooleanFilter(
        method="filter_available", label="Active, of an active organization"
    )

    class Meta:
        model = Service
        fields = ["organization", "category", "accepts_referrals"]

    def filter_language(self, queryset, name, value):
        return queryset.speaking(value)

    def filter_available(self, queryset, name, value):
        available = queryset.available()
        return available if value else queryset.exclude(pk__in=available.values("pk"))


@extend_schema_view(
    list=extend_schema(summary="Services in the directory"),
    retrieve=extend_schema(summary="One service"),
)
class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    search_fields = ["name", "organization__name", "description"]
    ordering_fields = ["name", "category", "id"]
    ordering = ["name", "id"]
    perms = {"list": "referrals.view_service", "retrieve": "referrals.view_service"}
    queryset = Service.objects.select_related("organization")


class OrganizationFilter(ApiFilterSet):
    class Meta:
        model = Organization
        fields = ["is_active"]


@extend_schema_view(
    list=extend_schema(summary="Organizations in the directory"),
    retrieve=extend_schema(summary="One organization"),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    search_fields = ["name"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    perms = {"list": "referrals.view_organization", "retrieve": "referrals.view_organization"}
    queryset = Organization.objects.all()
