"""/api/v1/referrals/ (with the contact log): referrals.services and referral_move, as the
pages use them. A referral is a FHIR ServiceRequest with its fulfilment Task: both
statuses are in every answer."""

from __future__ import annotations

import django_filters
from django.db.models import F, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import (
    IF_MATCH,
    ApiFilterSet,
    ApiViewSet,
    IdField,
    IdFilter,
    InputSerializer,
    ReadSerializer,
    ScopedSerializer,
    TransitionSerializer,
    WriteModelSerializer,
)
from api.pagination import CursorPagination, PageNumberPagination
from careplans.models import Goal
from careplans.selectors import goals_visible_to
from patients.models import Patient
from patients.permissions import access_patient
from patients.selectors import patients_visible_to
from referrals import services
from referrals.models import (
    ContactChannel,
    ContactDirection,
    ContactLogEntry,
    Need,
    OutcomeCode,
    Priority,
    Referral,
    ReferralStatus,
    Service,
    ServiceCategory,
)
from referrals.permissions import access_referral
from referrals.selectors import referrals_visible_to
from referrals.transitions import REFERRAL_STATUS, referral_move

S = ReferralStatus


class ReferralSerializer(ReadSerializer):
    # The service's and its organisation's names are annotations (with_directory_names),
    # as ReferralViewSet.get_queryset gives every referral it answers with.
    service_name = serializers.CharField(read_only=True, default=None)
    organization = serializers.IntegerField(source="organization_id", read_only=True, default=None)
    organization_name = serializers.CharField(read_only=True, default=None)
    fhir_request_status = serializers.CharField(read_only=True)
    fhir_task_status = serializers.CharField(read_only=True)
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=Need.choices), read_only=True
    )
    is_overdue = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id", "patient", "service", "service_name", "organization", "organization_name",
            "recipient_name", "recipient_phone", "recipient_email", "recipient_address",
            "reason", "needs", "priority", "status", "fhir_request_status",
            "fhir_task_status", "status_reason", "referred_by", "sent_at", "response_due_at",
            "is_overdue", "appointment_at", "outcome_code", "outcome_note", "closed_at",
            "closing_reason", "rerouted_from", "sharing_consent", "created_at", "updated_at",
            "version", "allowed_transitions",
        ]  # fmt: skip

    def get_is_overdue(self, referral: Referral) -> bool:
        """Awaiting an answer past its deadline, or an appointment with no outcome."""
        return bool(getattr(referral, "is_overdue", False))  # ReferralQuerySet.with_overdue

    def get_allowed_transitions(self, referral: Referral) -> list[str]:
        return REFERRAL_STATUS.allowed_from(referral.status)

    def to_representation(self, referral: Referral):
        if isinstance(referral, Referral) and not hasattr(referral, "organization_name"):
            # Else the names would read null (their default), as for a named recipient.
            raise TypeError("ReferralSerializer answers with rows of with_directory_names()")
        return super().to_representation(referral)


def with_directory_names(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """What ReferralSerializer shows of the service: three columns of the same query
    (null without a service), where select_related would build a Service and an
    Organization for every row from all their columns."""
    return referrals.annotate(
        service_name=F("service__name"),
        organization_id=F("service__organization_id"),
        organization_name=F("service__organization__name"),
    )


class ReferralUpdateSerializer(WriteModelSerializer):
    """A draft's details (after sending, the recipient holds what was sent)."""

    service = IdField(
        queryset=Service.objects.select_related("organization"), required=False, allow_null=True
    )
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=Need.choices), required=False
    )
    goal = IdField(
        queryset=Goal.objects.none(),
        required=False,
        allow_null=True,
        help_text="A goal of the patient's care plan this referral works toward.",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded (or If-Match)."
    )

    class Meta:
        model = Referral
        fields = [*services.EDITABLE_FIELDS, "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            # The referral's own patient's goals: another team's goal id reads "does not
            # exist", like one never issued, rather than confirming it exists.
            self.fields["goal"].queryset = Goal.objects.filter(
                care_plan__patient_id=self.instance.patient_id
            )


class ReferralCreateSerializer(ScopedSerializer, ReferralUpdateSerializer):
    patient = IdField(queryset=Patient.objects.none())

    class Meta(ReferralUpdateSerializer.Meta):
        fields = ["patient", *services.EDITABLE_FIELDS]

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)
        self.fields["goal"].queryset = goals_visible_to(user)


class ReferralTransitionSerializer(TransitionSerializer):
    to = serializers.ChoiceField(choices=ReferralStatus.choices)
    appointment_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Moving to scheduled."
    )
    outcome_code = serializers.ChoiceField(
        choices=OutcomeCode.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Moving to outcome_recorded (or declined: why).",
    )
    outcome_note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    consent_override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Sending without the patient's recorded consent to share: why.",
    )


class ContactLogEntrySerializer(ReadSerializer):
    class Meta:
        model = ContactLogEntry
        fields = [
            "id", "referral", "channel", "direction", "contact_name", "occurred_at", "note",
            "by", "transition", "created_at",
        ]  # fmt: skip


class ContactLogWriteSerializer(InputSerializer):
    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    direction = serializers.ChoiceField(choices=ContactDirection.choices)
    contact_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    response = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in services.CONTACT_RESPONSES],
        required=False,
        allow_blank=True,
        default="",
        help_text="The service's answer in this contact: moves the referral too.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    appointment_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="With a response: the version you loaded."
    )


class ReferralFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    service = IdFilter(field_name="service_id")
    organization = IdFilter(field_name="service__organization_id")
    category = django_filters.ChoiceFilter(
        field_name="service__category", choices=ServiceCategory.choices
    )
    team = IdFilter(field_name="patient__care_team_id")
    referred_by = IdFilter(field_name="referred_by_id")
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    open = django_filters.BooleanFilter(
        method="filter_open", label="Open (not closed or cancelled)"
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue now")

    class Meta:
        model = Referral
        fields = ["patient", "service", "status", "priority", "referred_by"]

    def filter_open(self, queryset, name, value):
        opened = queryset.open()
        return opened if value else queryset.exclude(pk__in=opened.values("pk"))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue=value)


@extend_schema_view(
    list=extend_schema(summary="Referrals of your patients (cursor pages, newest first)"),
    retrieve=extend_schema(summary="One referral (ServiceRequest and fulfilment Task)"),
)
class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ReferralSerializer
    pagination_class = CursorPagination
    filterset_class = ReferralFilter
    search_fields = ["service__name", "service__organization__name", "recipient_name"]
    ordering_fields = ["created_at", "response_due_at", "updated_at", "id"]
    ordering = ["-created_at", "-id"]
    perms = {
        "list": "referrals.view_referral",
        "retrieve": "referrals.view_referral",
        "create": "referrals.add_referral",
    }

    def get_queryset(self):
        return with_directory_names(
            referrals_visible_to(self.request.user).with_overdue(timezone.now())
        )

    def get_object(self):
        referral = access_referral(self.request.user, self.kwargs["pk"])
        return self.get_queryset().get(pk=referral.pk)

    def _answer(self, referral: Referral, **kwargs) -> Response:
        return Response(ReferralSerializer(self.get_queryset().get(pk=referral.pk)).data, **kwargs)

    @extend_schema(
        summary="Start a referral (draft) to a directory service or a named recipient",
        request=ReferralCreateSerializer,
        responses={201: ReferralSerializer},
        description="An open referral of the patient to the same service answers 409 with its id.",
    )
    def create(self, request):
        incoming = ReferralCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(
            request.user, data.pop("patient").pk, perm="referrals.add_referral"
        )
        referral = services.referral_create(patient=patient, by=request.user, data=data)
        return self._answer(referral, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a draft referral",
        request=ReferralUpdateSerializer,
        responses={200: ReferralSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        referral = access_referral(request.user, pk, perm="referrals.change_referral")
        incoming = ReferralUpdateSerializer(referral, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        version = self.expected_version(data.pop("version", None), required=True)
        referral = services.referral_update(
            referral=referral, by=request.user, data=data, expected_version=version
        )
        return self._answer(referral)

    @extend_schema(
        summary="Move a referral (send, received, accepted, scheduled, outcome, close, cancel ...)",
        description="Sending needs the patient's consent to share with the recipient, or "
        "consent_override_reason. Scheduling needs appointment_at; recording the outcome "
        "needs outcome_code; declining, cancelling and no-show need a reason.",
        request=ReferralTransitionSerializer,
        responses={200: ReferralSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk: int):
        referral = access_referral(request.user, pk, perm="referrals.change_referral")
        move = ReferralTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        data = move.validated_data
        version = self.expected_version(data.get("version"), required=False)
        version = referral.version if version is None else version
        if data["to"] == S.SENT:
            referral = services.referral_send(
                referral=referral,
                by=request.user,
                expected_version=version,
                consent_override_reason=data["consent_override_reason"],
            )
        else:
            referral = referral_move(
                referral=referral,
                to=data["to"],
                by=request.user,
                expected_version=version,
                reason=data["reason"],
                appointment_at=data["appointment_at"],
                outcome_code=data["outcome_code"] or "",
                outcome_note=data["outcome_note"],
            ).referral
        return self._answer(referral)

    @extend_schema(
        summary="The referral's contact log, newest first",
        responses={200: ContactLogEntrySerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def contacts(self, request, pk: int):
        referral = access_referral(request.user, pk, perm="referrals.view_contactlogentry")
        page = self.paginate_queryset(referral.contacts.order_by("-occurred_at", "-pk"))
        return self.get_paginated_response(ContactLogEntrySerializer(page, many=True).data)

    @extend_schema(
        summary="Log a call, email or message (with the service's answer, moves the referral)",
        request=ContactLogWriteSerializer,
        responses={201: ContactLogEntrySerializer},
    )
    @contacts.mapping.post
    def record_contact(self, request, pk: int):
        referral = access_referral(request.user, pk, perm="referrals.add_contactlogentry")
        incoming = ContactLogWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        version = self.expected_version(data.pop("version", None), required=False)
        entry = services.contact_log_record(
            referral=referral, by=request.user, expected_version=version, **data
        )
        return Response(ContactLogEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
