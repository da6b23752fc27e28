"""/api/v1/screening-templates/, /api/v1/assessments/ and /api/v1/identified-needs/: the
screenings (with answers and domain scores) and the needs they identify, through
assessments.services as the pages use it, with the patient scope rule behind every read.
Coordinators read; case managers assess and link or resolve needs (accounts.roles)."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import (
    ApiFilterSet,
    ApiViewSet,
    IdField,
    IdFilter,
    InputSerializer,
    ReadSerializer,
    ScopedSerializer,
)
from api.pagination import CursorPagination
from assessments import services
from assessments.models import (
    AnswerOption,
    Assessment,
    AssessmentAnswer,
    AssessmentLanguage,
    Domain,
    DomainResult,
    DomainRule,
    IdentifiedNeed,
    NeedStatus,
    Question,
    ScreeningTemplate,
    Severity,
)
from assessments.permissions import access_assessment, access_need
from assessments.selectors import assessments_visible_to, needs_visible_to
from careplans.models import OPEN_CARE_PLAN, OPEN_GOAL, CarePlanNeed, Goal
from patients.models import Patient
from patients.permissions import access_patient
from patients.selectors import patients_visible_to
from referrals.models import Referral, ServiceCategory

# --- Screening templates (no patient data: the questions to ask) -----------------------------


class AnswerOptionSerializer(ReadSerializer):
    class Meta:
        model = AnswerOption
        fields = ["id", "position", "text_en", "text_es", "score", "flags_domain"]


class QuestionSerializer(ReadSerializer):
    options = AnswerOptionSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "domain", "position", "text_en", "text_es", "is_required", "options"]


class DomainRuleSerializer(ReadSerializer):
    class Meta:
        model = DomainRule
        fields = ["domain", "is_optional", "positive_at", "high_at", "position"]


class ScreeningTemplateSerializer(ReadSerializer):
    class Meta:
        model = ScreeningTemplate
        fields = [
            "id", "name", "name_es", "description", "introduction_en", "introduction_es",
            "is_active", "created_at", "updated_at",
        ]  # fmt: skip


class ScreeningTemplateDetailSerializer(ScreeningTemplateSerializer):
    domain_rules = DomainRuleSerializer(many=True, read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(ScreeningTemplateSerializer.Meta):
        fields = [*ScreeningTemplateSerializer.Meta.fields, "domain_rules", "questions"]


class ScreeningTemplateFilter(ApiFilterSet):
    class Meta:
        model = ScreeningTemplate
        fields = ["is_active"]


@extend_schema_view(
    list=extend_schema(summary="Screening templates"),
    retrieve=extend_schema(
        summary="One screening template, with its questions, answer options and scoring",
        responses={200: ScreeningTemplateDetailSerializer},
    ),
)
class ScreeningTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ScreeningTemplateSerializer
    filterset_class = ScreeningTemplateFilter
    search_fields = ["name", "name_es"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    perms = {
        "list": "assessments.view_screeningtemplate",
        "retrieve": "assessments.view_screeningtemplate",
    }

    def get_queryset(self):
        if self.action == "retrieve":
            return ScreeningTemplate.objects.prefetch_related("domain_rules", "questions__options")
        return ScreeningTemplate.objects.all()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ScreeningTemplateDetailSerializer
        return ScreeningTemplateSerializer


# --- Assessments -----------------------------------------------------------------------------


class AssessmentAnswerSerializer(ReadSerializer):
    domain = serializers.ChoiceField(source="question.domain", choices=Domain.choices)
    question_text = serializers.SerializerMethodField()
    option_text = serializers.SerializerMethodField()
    score = serializers.IntegerField(source="option.score")

    class Meta:
        model = AssessmentAnswer
        fields = ["question", "option", "domain", "question_text", "option_text", "score"]

    def get_question_text(self, answer: AssessmentAnswer) -> str:
        """In the language the questions were asked in."""
        return answer.question.text_in(answer.assessment.language)

    def get_option_text(self, answer: AssessmentAnswer) -> str:
        return answer.option.text_in(answer.assessment.language)


class DomainResultSerializer(ReadSerializer):
    class Meta:
        model = DomainResult
        fields = ["domain", "score", "is_positive", "severity"]


class AssessmentSerializer(ReadSerializer):
    template_name = serializers.CharField(source="template.name", read_only=True)
    results = DomainResultSerializer(many=True, read_only=True)
    answers = AssessmentAnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id", "patient", "template", "template_name", "assessed_on", "assessed_by",
            "language", "included_optional", "notes", "results", "answers", "created_at",
        ]  # fmt: skip


class AnswerInputSerializer(InputSerializer):
    question = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    option = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="One of the question's options."
    )


class AssessmentCreateSerializer(ScopedSerializer):
    patient = IdField(queryset=Patient.objects.none())
    template = IdField(queryset=ScreeningTemplate.objects.all())
    answers = AnswerInputSerializer(
        many=True,
        allow_empty=False,
        max_length=500,
        help_text="The chosen option of each question answered (questions of the template).",
    )
    assessed_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today when left out."
    )
    language = serializers.ChoiceField(
        choices=AssessmentLanguage.choices, default=AssessmentLanguage.ENGLISH
    )
    included_optional = serializers.BooleanField(
        default=False, help_text="The patient also answered the optional domains' questions."
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)

    def validate_answers(self, answers: list[dict]) -> list[dict]:
        questions = [answer["question"] for answer in answers]
        if len(set(questions)) != len(questions):
            raise serializers.ValidationError("One answer per question.")
        return answers


class AssessmentFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    template = IdFilter(field_name="template_id")
    assessed_by = IdFilter(field_name="assessed_by_id")
    assessed_after = django_filters.DateFilter(field_name="assessed_on", lookup_expr="gte")
    assessed_before = django_filters.DateFilter(field_name="assessed_on", lookup_expr="lt")
    positive_domain = django_filters.ChoiceFilter(
        choices=Domain.choices, method="filter_positive_domain", label="Positive in this domain"
    )

    class Meta:
        model = Assessment
        fields = ["patient", "template", "assessed_by", "language"]

    def filter_positive_domain(self, queryset, name, value):
        # One result per assessment and domain (domain_result_unique): no duplicate rows.
        return queryset.filter(results__domain=value, results__is_positive=True)


def _with_contents(queryset):
    return queryset.select_related("template").prefetch_related(
        "results",
        Prefetch(
            "answers",
            queryset=AssessmentAnswer.objects.select_related("question", "option").order_by(
                "question__position", "question__pk"
            ),
        ),
    )


@extend_schema_view(
    list=extend_schema(summary="Needs assessments of your patients (cursor pages, latest first)"),
    retrieve=extend_schema(summary="One needs assessment, with its answers and domain scores"),
)
class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = AssessmentSerializer
    pagination_class = CursorPagination
    filterset_class = AssessmentFilter
    ordering_fields = ["assessed_on", "created_at", "id"]
    ordering = ["-assessed_on", "-id"]
    perms = {
        "list": "assessments.view_assessment",
        "retrieve": "assessments.view_assessment",
        "create": "assessments.add_assessment",
    }

    def get_queryset(self):
        return _with_contents(assessments_visible_to(self.request.user))

    def get_object(self):
        assessment = access_assessment(self.request.user, self.kwargs["pk"])
        return self.get_queryset().get(pk=assessment.pk)

    @extend_schema(
        summary="Record a screening: answers are scored, positive domains become needs",
        description="Answers name questions of the template and one of each question's "
        "options; a required question left unanswered answers 400 under question_<id>.",
        request=AssessmentCreateSerializer,
        responses={201: AssessmentSerializer},
    )
    def create(self, request):
        incoming = AssessmentCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(
            request.user, data.pop("patient").pk, perm="assessments.add_assessment"
        )
        assessment = services.assessment_record(
            patient=patient,
            by=request.user,
            answers={answer["question"]: answer["option"] for answer in data.pop("answers")},
            **data,
        )
        return Response(
            AssessmentSerializer(self.get_queryset().get(pk=assessment.pk)).data,
            status=status.HTTP_201_CREATED,
        )


# --- Identified needs ------------------------------------------------------------------------


class IdentifiedNeedSerializer(ReadSerializer):
    is_addressed = serializers.BooleanField(
        read_only=True, help_text="A care plan need or a goal addresses it."
    )
    service_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceCategory.choices),
        read_only=True,
        help_text="The kinds of directory services that meet this need.",
    )

    class Meta:
        model = IdentifiedNeed
        fields = [
            "id", "patient", "domain", "severity", "status", "identified_on", "assessment",
            "last_assessment", "care_plan_need", "goal", "is_addressed",
            "resolved_by_referral", "resolved_by_goal", "resolution_note", "resolved_on",
            "resolved_by", "service_categories", "created_at", "updated_at",
        ]  # fmt: skip


class NeedAddressSerializer(InputSerializer):
    """Both left out (or null): nothing addresses the need any more."""

    care_plan_need = IdField(
        queryset=CarePlanNeed.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A need of one of the patient's open care plans.",
    )
    goal = IdField(
        queryset=Goal.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="One of the patient's open goals.",
    )

    def __init__(self, *args, need: IdentifiedNeed | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if need is not None:  # the schema generator builds it without one
            self.fields["care_plan_need"].queryset = CarePlanNeed.objects.filter(
                care_plan__patient_id=need.patient_id, care_plan__status__in=OPEN_CARE_PLAN
            )
            self.fields["goal"].queryset = Goal.objects.filter(
                care_plan__patient_id=need.patient_id, status__in=OPEN_GOAL
            )


class NeedResolveSerializer(InputSerializer):
    """The referral or goal that resolved the need, or a note saying how."""

    referral = IdField(
        queryset=Referral.objects.none(), required=False, allow_null=True, default=None
    )
    goal = IdField(queryset=Goal.objects.none(), required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    resolved_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today when left out."
    )

    def __init__(self, *args, need: IdentifiedNeed | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if need is not None:
            self.fields["referral"].queryset = Referral.objects.filter(patient_id=need.patient_id)
            self.fields["goal"].queryset = Goal.objects.filter(
                care_plan__patient_id=need.patient_id
            )


class IdentifiedNeedFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    assessment = IdFilter(field_name="assessment_id", label="First identified by")
    domain = django_filters.MultipleChoiceFilter(choices=Domain.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    status = django_filters.ChoiceFilter(choices=NeedStatus.choices)
    addressed = django_filters.BooleanFilter(
        method="filter_addressed", label="Open and addressed (true) or open and not (false)"
    )
    identified_after = django_filters.DateFilter(field_name="identified_on", lookup_expr="gte")
    identified_before = django_filters.DateFilter(field_name="identified_on", lookup_expr="lt")

    class Meta:
        model = IdentifiedNeed
        fields = ["patient", "assessment", "domain", "severity", "status"]

    def filter_addressed(self, queryset, name, value):
        unaddressed = queryset.unaddressed()
        if not value:
            return unaddressed
        return queryset.open().exclude(pk__in=unaddressed.values("pk"))


@extend_schema_view(
    list=extend_schema(summary="Identified needs of your patients (cursor pages)"),
    retrieve=extend_schema(summary="One identified need"),
)
class IdentifiedNeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = IdentifiedNeedSerializer
    pagination_class = CursorPagination
    filterset_class = IdentifiedNeedFilter
    ordering_fields = ["identified_on", "updated_at", "id"]
    ordering = ["-identified_on", "-id"]
    perms = {
        "list": "assessments.view_identifiedneed",
        "retrieve": "assessments.view_identifiedneed",
    }

    def get_queryset(self):
        return needs_visible_to(self.request.user)

    def get_object(self):
        return access_need(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Say what addresses an open need (a care plan need or a goal), or nothing",
        request=NeedAddressSerializer,
        responses={200: IdentifiedNeedSerializer},
    )
    @action(detail=True, methods=["post"])
    def address(self, request, pk: int):
        need = access_need(request.user, pk, perm="assessments.change_identifiedneed")
        incoming = NeedAddressSerializer(data=request.data, need=need)
        incoming.is_valid(raise_exception=True)
        need = services.need_address(need=need, by=request.user, **incoming.validated_data)
        return Response(IdentifiedNeedSerializer(need).data)

    @extend_schema(
        summary="Mark an open need resolved (by a referral, a goal, or as a note says)",
        description="A need already resolved answers 400 and changes nothing.",
        request=NeedResolveSerializer,
        responses={200: IdentifiedNeedSerializer},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk: int):
        need = access_need(request.user, pk, perm="assessments.change_identifiedneed")
        incoming = NeedResolveSerializer(data=request.data, need=need)
        incoming.is_valid(raise_exception=True)
        need = services.need_resolve(need=need, by=request.user, **incoming.validated_data)
        return Response(IdentifiedNeedSerializer(need).data)
