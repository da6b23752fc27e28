"""/api/v1/programs/ (the programs on offer, read only), /api/v1/enrolments/ (FHIR
EpisodeOfCare) and /api/v1/attendance-sessions/: programs.services and
programs.transitions as the pages use them. Case managers refer and move enrolments;
coordinators read them and record attendance (accounts.roles)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from api.base import (
    IF_MATCH,
    ApiFilterSet,
    ApiViewSet,
    IdField,
    IdFilter,
    ReadSerializer,
    ScopedSerializer,
    TransitionSerializer,
    WriteModelSerializer,
)
from api.pagination import CursorPagination
from patients.models import Patient
from patients.permissions import access_patient
from patients.selectors import patients_visible_to, team_staff, teams_of
from programs import services, transitions
from programs.forms import case_managers_of
from programs.models import (
    Enrolment,
    EnrolmentStatus,
    Program,
    ProgramKind,
    Session,
    SessionStatus,
)
from programs.permissions import access_enrolment, access_session
from programs.selectors import enrolments_visible_to, sessions_visible_to

# --- Programs (the offer: no patient data) ---------------------------------------------------


class ProgramSerializer(ReadSerializer):
    class Meta:
        model = Program
        fields = [
            "id", "name", "description", "kind", "eligibility_notes", "required_sessions",
            "complete_within_days", "attendance_threshold", "team", "is_active",
        ]  # fmt: skip


class ProgramFilter(ApiFilterSet):
    kind = django_filters.ChoiceFilter(choices=ProgramKind.choices)
    team = IdFilter(field_name="team_id", label="Run by this team")

    class Meta:
        model = Program
        fields = ["kind", "team", "is_active"]


@extend_schema_view(
    list=extend_schema(summary="Programs"),
    retrieve=extend_schema(summary="One program"),
)
class ProgramViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    perms = {"list": "programs.view_program", "retrieve": "programs.view_program"}
    queryset = Program.objects.all()


# --- Enrolments ------------------------------------------------------------------------------


class EnrolmentSerializer(ReadSerializer):
    program_name = serializers.CharField(source="program.name", read_only=True)
    attendance_threshold = serializers.IntegerField(
        source="program.attendance_threshold", read_only=True
    )
    attendance_share = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Percent of counted sessions (attended and missed) attended; null before any.",
    )
    is_below_threshold = serializers.BooleanField(
        read_only=True,
        help_text="Enrolled or paused, attending less than the program's threshold.",
    )
    completion_share = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Percent of the program's required sessions attended (at most 100).",
    )
    sessions_remaining = serializers.IntegerField(read_only=True)
    sessions_due_by = serializers.DateField(read_only=True, allow_null=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = [
            "id", "patient", "program", "program_name", "status", "status_reason",
            "referred_on", "start_date", "end_date", "case_manager", "attended_count",
            "missed_count", "excused_count", "attendance_share", "attendance_threshold",
            "is_below_threshold", "completion_share", "sessions_remaining",
            "sessions_due_by", "created_at", "updated_at", "version", "allowed_transitions",
        ]  # fmt: skip

    def get_allowed_transitions(self, enrolment: Enrolment) -> list[str]:
        return transitions.ENROLMENT.allowed_from(enrolment.status)


class CaseManagerField(IdField):
    """A case manager of the caller's teams; validate() checks the patient's team."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.none())
        kwargs.setdefault("help_text", "A case manager of the patient's care team.")
        super().__init__(**kwargs)


def scope_case_managers(field: CaseManagerField, user) -> None:
    field.queryset = team_staff(teams_of(user).values("pk"))


def check_case_manager(case_manager: User | None, patient: Patient | None) -> None:
    if (
        case_manager is not None
        and patient is not None
        and not case_managers_of(patient).filter(pk=case_manager.pk).exists()
    ):
        raise serializers.ValidationError(
            {"case_manager": ["Choose a case manager of the patient's care team."]}
        )


class EnrolmentCreateSerializer(ScopedSerializer):
    patient = IdField(queryset=Patient.objects.none())
    program = IdField(queryset=Program.objects.all(), help_text="A program taking enrolments.")
    case_manager = CaseManagerField()
    referred_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today when left out."
    )

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)
        scope_case_managers(self.fields["case_manager"], user)

    def validate(self, attrs):
        check_case_manager(attrs.get("case_manager"), attrs.get("patient"))
        return attrs


class EnrolmentTransitionSerializer(TransitionSerializer):
    to = serializers.ChoiceField(
        choices=EnrolmentStatus.choices, help_text="Pausing and disenrolling need a reason."
    )
    on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The day it happened (start or end date); today when left out.",
    )


class EnrolmentFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    program = IdFilter(field_name="program_id")
    case_manager = IdFilter(field_name="case_manager_id")
    status = django_filters.MultipleChoiceFilter(choices=EnrolmentStatus.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="Referred, enrolled or paused")
    below_threshold = django_filters.BooleanFilter(
        method="filter_below_threshold", label="Attending less than the program's threshold"
    )
    referred_after = django_filters.DateFilter(field_name="referred_on", lookup_expr="gte")
    referred_before = django_filters.DateFilter(field_name="referred_on", lookup_expr="lt")

    class Meta:
        model = Enrolment
        fields = ["patient", "program", "case_manager", "status"]

    def filter_open(self, queryset, name, value):
        opened = queryset.open()
        return opened if value else queryset.exclude(pk__in=opened.values("pk"))

    def filter_below_threshold(self, queryset, name, value):
        below = queryset.below_threshold()
        return below if value else queryset.exclude(pk__in=below.values("pk"))


@extend_schema_view(
    list=extend_schema(summary="Enrolments of your patients in programs (cursor pages)"),
    retrieve=extend_schema(summary="One enrolment (EpisodeOfCare), with its attendance"),
)
class EnrolmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = EnrolmentSerializer
    pagination_class = CursorPagination
    filterset_class = EnrolmentFilter
    search_fields = ["program__name"]
    ordering_fields = ["referred_on", "updated_at", "id"]
    ordering = ["-referred_on", "-id"]
    perms = {
        "list": "programs.view_enrolment",
        "retrieve": "programs.view_enrolment",
        "create": "programs.add_enrolment",
    }

    def get_queryset(self):
        return enrolments_visible_to(self.request.user).select_related("program")

    def get_object(self):
        return access_enrolment(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Refer a patient to a program (status referred)",
        description="A patient already referred to, enrolled or paused in the program "
        "answers 400; so does a program not taking enrolments.",
        request=EnrolmentCreateSerializer,
        responses={201: EnrolmentSerializer},
    )
    def create(self, request):
        incoming = EnrolmentCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(
            request.user, data.pop("patient").pk, perm="programs.add_enrolment"
        )
        enrolment = services.enrolment_create(patient=patient, by=request.user, **data)
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move an enrolment (enrol, pause, complete, disenrol)",
        request=EnrolmentTransitionSerializer,
        responses={200: EnrolmentSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk: int):
        enrolment = access_enrolment(request.user, pk, perm="programs.change_enrolment")
        move = EnrolmentTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        enrolment = transitions.enrolment_transition(
            enrolment=enrolment,
            by=request.user,
            target=move.validated_data["to"],
            reason=move.validated_data["reason"],
            expected_version=self.expected_version(
                move.validated_data.get("version"), required=False
            ),
            on=move.validated_data["on"],
        )
        return Response(EnrolmentSerializer(enrolment).data)


# --- Attendance ------------------------------------------------------------------------------


class AttendanceSessionSerializer(ReadSerializer):
    patient = serializers.IntegerField(source="enrolment.patient_id", read_only=True)

    class Meta:
        model = Session
        fields = [
            "id", "enrolment", "patient", "held_on", "status", "topic", "note",
            "recorded_by", "created_at",
        ]  # fmt: skip


class AttendanceSessionCreateSerializer(ScopedSerializer, WriteModelSerializer):
    enrolment = IdField(
        queryset=Enrolment.objects.none(), help_text="An enrolled or paused enrolment."
    )

    class Meta:
        model = Session
        fields = ["enrolment", "held_on", "status", "topic", "note"]

    def scope(self, user) -> None:
        self.fields["enrolment"].queryset = enrolments_visible_to(user)


class AttendanceSessionFilter(ApiFilterSet):
    enrolment = IdFilter(field_name="enrolment_id")
    patient = IdFilter(field_name="enrolment__patient_id")
    program = IdFilter(field_name="enrolment__program_id")
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    held_after = django_filters.DateFilter(field_name="held_on", lookup_expr="gte")
    held_before = django_filters.DateFilter(field_name="held_on", lookup_expr="lt")

    class Meta:
        model = Session
        fields = ["enrolment", "patient", "program", "status"]


@extend_schema_view(
    list=extend_schema(summary="Attendance at program sessions of your patients (cursor pages)"),
    retrieve=extend_schema(summary="One session's attendance"),
)
class AttendanceSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = AttendanceSessionSerializer
    pagination_class = CursorPagination
    filterset_class = AttendanceSessionFilter
    ordering_fields = ["held_on", "created_at", "id"]
    ordering = ["-held_on", "-id"]
    perms = {
        "list": "programs.view_session",
        "retrieve": "programs.view_session",
        "create": "programs.add_session",
    }

    def get_queryset(self):
        return sessions_visible_to(self.request.user).select_related("enrolment")

    def get_object(self):
        return access_session(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Record a session's attendance (the enrolment's counts follow)",
        description="Only for enrolled or paused enrolments, on or after the start date and "
        "not in the future; dropping below the program's threshold reminds the case manager.",
        request=AttendanceSessionCreateSerializer,
        responses={201: AttendanceSessionSerializer},
    )
    def create(self, request):
        incoming = AttendanceSessionCreateSerializer(
            data=request.data, context={"request": request}
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        enrolment = access_enrolment(
            request.user, data.pop("enrolment").pk, perm="programs.add_session"
        )
        session = services.session_record(enrolment=enrolment, by=request.user, **data)
        return Response(AttendanceSessionSerializer(session).data, status=status.HTTP_201_CREATED)
