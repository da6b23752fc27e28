"""/api/v1/patients/: the registry, with the scope and services the pages use."""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import (
    IF_MATCH,
    ApiFilterBackend,
    ApiFilterSet,
    ApiViewSet,
    IdFilter,
    InputSerializer,
    ReadSerializer,
    ScopedSerializer,
    TransitionSerializer,
    UtcDateTimeFilter,
    WriteModelSerializer,
)
from api.pagination import CursorPagination
from patients import services
from patients.models import IdentifierType, Patient, PatientIdentifier, PatientStatus, RiskLevel
from patients.permissions import access_patient
from patients.selectors import patients_visible_to, team_staff, teams_of


class PatientIdentifierSerializer(ReadSerializer):
    class Meta:
        model = PatientIdentifier
        fields = ["id", "system", "value", "type_code", "assigner"]


class PatientSerializer(ReadSerializer):
    phone = PhoneNumberField(read_only=True)
    identifiers = PatientIdentifierSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id", "mrn", "given_name", "family_name", "date_of_birth", "sex", "phone",
            "email", "address_line", "city", "region", "postal_code", "time_zone",
            "preferred_language", "preferred_contact_method", "consent_phone",
            "consent_sms", "consent_email", "consent_mail", "insurance_payer",
            "insurance_member_id", "risk_level", "status", "status_reason", "care_team",
            "primary_coordinator", "case_manager", "created_at", "updated_at", "version",
            "identifiers", "allowed_transitions",
        ]  # fmt: skip

    def get_allowed_transitions(self, patient: Patient) -> list[str]:
        return services.PATIENT_STATUS.allowed_from(patient.status)


class PatientWriteSerializer(ScopedSerializer, WriteModelSerializer):
    """Registration (POST) and changes (PATCH: any subset, with ``version`` or If-Match).
    Teams and staff are limited to the caller's teams: any other id is "does not exist"."""

    phone = PhoneNumberField(required=False, allow_blank=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="PATCH: the version you loaded (or If-Match)."
    )
    confirm_not_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="POST: register even though possible duplicates were reported (409).",
    )

    class Meta:
        model = Patient
        fields = [*services.EDITABLE_FIELDS, "version", "confirm_not_duplicate"]
        # Uniqueness and model rules are checked by the services (full_clean), once.
        validators = []
        extra_kwargs = {"mrn": {"validators": []}}

    def scope(self, user) -> None:
        teams = teams_of(user)
        self.fields["care_team"].queryset = teams
        staff = team_staff(teams.values("pk"))
        self.fields["primary_coordinator"].queryset = staff
        self.fields["case_manager"].queryset = staff


class PatientIdentifierAddSerializer(InputSerializer):
    system = serializers.RegexField(
        # A URI (patients.models.validate_identifier_system), outer whitespace ignored.
        r"^\s*[A-Za-z][A-Za-z0-9+.\-]*:\S+\s*$",
        max_length=255,
        help_text="Who issues the identifier, as a URI: http://hospital.example.org/mrn, "
        "urn:oid:2.16.840.1.113883.3.1234.",
    )
    value = serializers.CharField(
        max_length=100, help_text="Unique within its system: one patient holds it."
    )
    type_code = serializers.ChoiceField(
        choices=IdentifierType.choices,
        allow_blank=True,
        required=False,
        default="",
        help_text="HL7 v2 table 0203 (FHIR identifier-type).",
    )
    assigner = serializers.CharField(
        max_length=200,
        allow_blank=True,
        required=False,
        default="",
        help_text="The organisation's name.",
    )


class PatientTransitionSerializer(TransitionSerializer):
    to = serializers.ChoiceField(choices=PatientStatus.choices)


class PatientFilter(ApiFilterSet):
    status = django_filters.ChoiceFilter(choices=PatientStatus.choices)
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices)
    care_team = IdFilter(field_name="care_team_id")
    primary_coordinator = IdFilter(field_name="primary_coordinator_id")
    case_manager = IdFilter(field_name="case_manager_id")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Patient
        fields = ["status", "risk_level", "care_team", "primary_coordinator", "case_manager"]


class PatientSearch(filters.SearchFilter):
    """``search``: name words or an MRN, through Patient.objects.search (trigram indexes on
    PostgreSQL). In the query string, never the path: access logs drop query strings."""

    search_description = "Name words or an MRN."

    def filter_queryset(self, request, queryset, view):
        return queryset.search(request.query_params.get(self.search_param, "")[:100])


@extend_schema_view(
    list=extend_schema(summary="Patients in your care teams"),
    retrieve=extend_schema(summary="One patient"),
)
class PatientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PatientSerializer
    pagination_class = CursorPagination
    filterset_class = PatientFilter
    filter_backends = [ApiFilterBackend, PatientSearch, filters.OrderingFilter]
    search_fields = ["family_name"]  # documents the parameter; PatientSearch does the work
    ordering_fields = ["family_name", "date_of_birth", "risk_level", "updated_at", "id"]
    ordering = ["family_name", "given_name", "id"]
    perms = {
        "list": "patients.view_patient",
        "retrieve": "patients.view_patient",
        "create": "patients.add_patient",
        "identifiers": "patients.change_patient",
        "identifier": "patients.change_patient",
    }

    def get_queryset(self):
        return patients_visible_to(self.request.user).prefetch_related("identifiers")

    def get_object(self):
        return access_patient(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Register a patient",
        request=PatientWriteSerializer,
        responses={201: PatientSerializer},
        description="A possible duplicate answers 409 with the matching ids you may see "
        "and the number of others; send confirm_not_duplicate=true to register anyway.",
    )
    def create(self, request):
        incoming = PatientWriteSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = services.patient_register(
            by=request.user,
            data=data,
            confirmed_not_duplicate=data.pop("confirm_not_duplicate", False),
        )
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a patient's details",
        request=PatientWriteSerializer,
        responses={200: PatientSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        patient = access_patient(request.user, pk, perm="patients.change_patient")
        incoming = PatientWriteSerializer(
            patient, data=request.data, partial=True, context={"request": request}
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        data.pop("confirm_not_duplicate", None)
        version = self.expected_version(data.pop("version", None), required=True)
        patient = services.patient_update(
            patient=patient, by=request.user, data=data, expected_version=version
        )
        return Response(PatientSerializer(patient).data)

    @extend_schema(
        summary="Change a patient's status (discharge, readmit, inactive, deceased)",
        request=PatientTransitionSerializer,
        responses={200: PatientSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk: int):
        patient = access_patient(request.user, pk, perm="patients.discharge_patient")
        move = PatientTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        version = self.expected_version(move.validated_data.get("version"), required=False)
        patient = services.patient_set_status(
            patient=patient,
            by=request.user,
            status=move.validated_data["to"],
            reason=move.validated_data["reason"],
            expected_version=patient.version if version is None else version,
        )
        return Response(PatientSerializer(patient).data)

    @extend_schema(
        summary="Give a patient an identifier of another system",
        description="A hospital's MRN, a payer's member id: a value another patient (or this "
        "one) already holds in that system is a 400 on value.",
        request=PatientIdentifierAddSerializer,
        responses={201: PatientIdentifierSerializer},
    )
    @action(detail=True, methods=["post"])
    def identifiers(self, request, pk: int):
        patient = access_patient(request.user, pk, perm="patients.change_patient")
        incoming = PatientIdentifierAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        identifier = services.identifier_add(
            patient=patient, by=request.user, **incoming.validated_data
        )
        return Response(
            PatientIdentifierSerializer(identifier).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Remove an identifier from a patient", request=None, responses={204: None}
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"identifiers/(?P<identifier_pk>[0-9]{1,18})",
        url_name="identifier",
    )
    def identifier(self, request, pk: int, identifier_pk: int):
        patient = access_patient(request.user, pk, perm="patients.change_patient")
        identifier = patient.identifiers.filter(pk=identifier_pk).first()
        if identifier is None:
            raise Http404
        services.identifier_remove(identifier=identifier, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
