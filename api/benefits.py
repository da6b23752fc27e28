"""/api/v1/benefit-applications/ (with their document checklist): benefits.services and
benefits.transitions as the pages use them. Case managers write; the team's coordinators
read (accounts.roles)."""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
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
    UtcDateTimeFilter,
    WriteModelSerializer,
)
from api.pagination import CursorPagination
from api.programs import CaseManagerField, check_case_manager, scope_case_managers
from benefits import services, transitions
from benefits.models import (
    ApplicationStatus,
    BenefitApplication,
    BenefitProgram,
    RequiredDocument,
)
from benefits.permissions import access_application, access_document
from benefits.selectors import applications_visible_to
from patients.models import Patient
from patients.permissions import access_patient
from patients.selectors import patients_visible_to
from programs.forms import case_managers_of

# --- Benefit applications and their document checklist --------------------------------------


class RequiredDocumentSerializer(ReadSerializer):
    class Meta:
        model = RequiredDocument
        fields = ["id", "application", "name", "status", "received_on", "position"]


class DeadlineSerializer(serializers.Serializer):
    label = serializers.CharField()
    date = serializers.DateField()


class BenefitApplicationSerializer(ReadSerializer):
    documents = serializers.SerializerMethodField()
    documents_missing = serializers.SerializerMethodField()
    documents_complete = serializers.SerializerMethodField()
    next_deadline = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = BenefitApplication
        fields = [
            "id", "patient", "program", "program_detail", "status", "status_reason",
            "submitted_on", "decision_due_on", "decision_on", "renewal_due_on",
            "appeal_deadline", "next_deadline", "notes", "case_manager", "documents",
            "documents_missing", "documents_complete", "created_at", "updated_at",
            "version", "allowed_transitions",
        ]  # fmt: skip

    def _checklist(self, application: BenefitApplication) -> dict:
        # The documents come prefetched (one query per page, whatever its length).
        return services.checklist_summary(list(application.documents.all()))

    @extend_schema_field(RequiredDocumentSerializer(many=True))
    def get_documents(self, application: BenefitApplication) -> list[dict]:
        return RequiredDocumentSerializer(application.documents.all(), many=True).data

    def get_documents_missing(self, application: BenefitApplication) -> int:
        return len(self._checklist(application)["missing"])

    def get_documents_complete(self, application: BenefitApplication) -> bool:
        """Every document on the checklist received (false for an empty checklist)."""
        return self._checklist(application)["complete"]

    @extend_schema_field(DeadlineSerializer(allow_null=True))
    def get_next_deadline(self, application: BenefitApplication) -> dict | None:
        """The deadline that matters now: appeal, decision or renewal, by status."""
        deadline = application.next_deadline()
        return None if deadline is None else {"label": deadline[0], "date": deadline[1]}

    def get_allowed_transitions(self, application: BenefitApplication) -> list[str]:
        return transitions.APPLICATION.allowed_from(application.status)


class BenefitApplicationUpdateSerializer(WriteModelSerializer):
    case_manager = CaseManagerField(required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded (or If-Match)."
    )

    class Meta:
        model = BenefitApplication
        fields = [*services.APPLICATION_FIELDS, "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, BenefitApplication):
            self.fields["case_manager"].queryset = case_managers_of(self.instance.patient)


class BenefitApplicationCreateSerializer(ScopedSerializer, WriteModelSerializer):
    patient = IdField(queryset=Patient.objects.none())
    program = serializers.ChoiceField(choices=BenefitProgram.choices)
    case_manager = CaseManagerField()
    documents = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=50,
        help_text="The documents needed; left out: the usual ones for the program.",
    )

    class Meta:
        model = BenefitApplication
        fields = ["patient", "program", *services.APPLICATION_FIELDS, "documents"]

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)
        scope_case_managers(self.fields["case_manager"], user)

    def validate(self, attrs):
        check_case_manager(attrs.get("case_manager"), attrs.get("patient"))
        return attrs


class BenefitApplicationTransitionSerializer(TransitionSerializer):
    to = serializers.ChoiceField(
        choices=ApplicationStatus.choices, help_text="A denial needs a reason."
    )
    on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The day it happened (submitted, decided); today when left out.",
    )
    decision_due_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Submitting, pending or appealing: when the decision is expected.",
    )
    renewal_due_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Approving: the renewal date."
    )


class DocumentAddSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)


class DocumentMarkSerializer(InputSerializer):
    received = serializers.BooleanField(help_text="Received (true) or missing again (false).")
    received_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today when left out."
    )


class BenefitApplicationFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    case_manager = IdFilter(field_name="case_manager_id")
    program = django_filters.ChoiceFilter(choices=BenefitProgram.choices)
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    decision_due_before = django_filters.DateFilter(field_name="decision_due_on", lookup_expr="lt")
    renewal_due_before = django_filters.DateFilter(field_name="renewal_due_on", lookup_expr="lt")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = BenefitApplication
        fields = ["patient", "case_manager", "program", "status"]


@extend_schema_view(
    list=extend_schema(summary="Benefit applications of your patients (cursor pages)"),
    retrieve=extend_schema(summary="One benefit application, with its document checklist"),
)
class BenefitApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = BenefitApplicationSerializer
    pagination_class = CursorPagination
    filterset_class = BenefitApplicationFilter
    search_fields = ["program_detail"]
    ordering_fields = ["created_at", "updated_at", "id"]
    ordering = ["-created_at", "-id"]
    perms = {
        "list": "benefits.view_benefitapplication",
        "retrieve": "benefits.view_benefitapplication",
        "create": "benefits.add_benefitapplication",
    }

    def get_queryset(self):
        return applications_visible_to(self.request.user).prefetch_related("documents")

    def get_object(self):
        application = access_application(self.request.user, self.kwargs["pk"])
        return self.get_queryset().get(pk=application.pk)

    def _answer(self, application: BenefitApplication, **kwargs) -> Response:
        return Response(
            BenefitApplicationSerializer(self.get_queryset().get(pk=application.pk)).data,
            **kwargs,
        )

    @extend_schema(
        summary="Start a benefit application (not started), with its document checklist",
        request=BenefitApplicationCreateSerializer,
        responses={201: BenefitApplicationSerializer},
    )
    def create(self, request):
        incoming = BenefitApplicationCreateSerializer(
            data=request.data, context={"request": request}
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(
            request.user, data.pop("patient").pk, perm="benefits.add_benefitapplication"
        )
        application = services.application_create(
            patient=patient,
            by=request.user,
            program=data.pop("program"),
            case_manager=data.pop("case_manager"),
            documents=data.pop("documents", None),
            data=data,
        )
        return self._answer(application, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an application's dates, notes or case manager",
        request=BenefitApplicationUpdateSerializer,
        responses={200: BenefitApplicationSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        application = access_application(
            request.user, pk, perm="benefits.change_benefitapplication"
        )
        incoming = BenefitApplicationUpdateSerializer(application, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        version = self.expected_version(data.pop("version", None), required=True)
        application = services.application_update(
            application=application, by=request.user, data=data, expected_version=version
        )
        return self._answer(application)

    @extend_schema(
        summary="Move an application (gather documents, submit, decide, appeal ...)",
        description="A denial needs a reason and sets the appeal deadline; an approval sets "
        "the renewal date (renewal_due_on, or the usual time after the decision).",
        request=BenefitApplicationTransitionSerializer,
        responses={200: BenefitApplicationSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk: int):
        application = access_application(
            request.user, pk, perm="benefits.change_benefitapplication"
        )
        move = BenefitApplicationTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        data = move.validated_data
        application = transitions.application_transition(
            application=application,
            by=request.user,
            target=data["to"],
            reason=data["reason"],
            expected_version=self.expected_version(data.get("version"), required=False),
            on=data["on"],
            decision_due_on=data["decision_due_on"],
            renewal_due_on=data["renewal_due_on"],
        )
        return self._answer(application)

    @extend_schema(
        summary="Add a document to an application's checklist (missing)",
        request=DocumentAddSerializer,
        responses={201: RequiredDocumentSerializer},
    )
    @action(detail=True, methods=["post"])
    def documents(self, request, pk: int):
        application = access_application(request.user, pk, perm="benefits.add_requireddocument")
        incoming = DocumentAddSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        document = services.document_add(
            application=application, by=request.user, name=incoming.validated_data["name"]
        )
        return Response(RequiredDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Tick a checklist document received (on a day) or back to missing",
        request=DocumentMarkSerializer,
        responses={200: RequiredDocumentSerializer},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"documents/(?P<document_pk>[0-9]{1,18})",
        url_name="document",
    )
    def document(self, request, pk: int, document_pk: int):
        document = access_document(request.user, document_pk)
        if document.application_id != int(pk):
            raise Http404
        incoming = DocumentMarkSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        document = services.document_mark(
            document=document,
            by=request.user,
            received=incoming.validated_data["received"],
            on=incoming.validated_data["received_on"],
        )
        return Response(RequiredDocumentSerializer(document).data)
