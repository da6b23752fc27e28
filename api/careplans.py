"""/api/v1/care-plans/ and /api/v1/goals/ (with their progress): the services and the
transition functions the pages call, with the patient scope rule behind every read."""

from __future__ import annotations

import django_filters
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
from api.pagination import PageNumberPagination
from careplans import services, transitions
from careplans.models import (
    CarePlan,
    CarePlanStatus,
    Goal,
    GoalPriority,
    GoalProgress,
    GoalStatus,
    NeedCategory,
)
from careplans.permissions import access_care_plan, access_goal
from careplans.selectors import care_plans_visible_to, goals_visible_to
from patients.permissions import access_patient
from patients.selectors import patients_visible_to, team_staff

# --- Care plans -----------------------------------------------------------------------------


class NeedSerializer(InputSerializer):
    category = serializers.ChoiceField(choices=NeedCategory.choices)
    description = serializers.CharField(max_length=255)


class CarePlanSerializer(ReadSerializer):
    needs = NeedSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = CarePlan
        fields = [
            "id", "patient", "title", "description", "internal_notes", "status",
            "period_start", "period_end", "author", "next_review_date", "needs",
            "created_at", "updated_at", "version", "allowed_transitions",
        ]  # fmt: skip

    def get_allowed_transitions(self, care_plan: CarePlan) -> list[str]:
        return transitions.CARE_PLAN.allowed_from(care_plan.status)


class CarePlanUpdateSerializer(WriteModelSerializer):
    needs = NeedSerializer(
        many=True, required=False, help_text="The plan's needs, all of them (replaces them)."
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded (or If-Match)."
    )

    class Meta:
        model = CarePlan
        fields = [*services.CARE_PLAN_FIELDS, "needs", "version"]


class CarePlanCreateSerializer(ScopedSerializer, CarePlanUpdateSerializer):
    patient = IdField(queryset=CarePlan.objects.none())

    class Meta(CarePlanUpdateSerializer.Meta):
        fields = ["patient", *services.CARE_PLAN_FIELDS, "needs"]

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)


class CarePlanTransitionSerializer(TransitionSerializer):
    to = serializers.ChoiceField(choices=CarePlanStatus.choices)
    open_work = serializers.ChoiceField(
        choices=transitions.OpenWork.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Closing a plan with open goals or tasks: cancel them, or keep them open.",
    )


def needs_by_category(needs: list[dict]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for need in needs:
        grouped.setdefault(need["category"], []).append(need["description"].strip())
    return grouped


class CarePlanFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    status = django_filters.MultipleChoiceFilter(choices=CarePlanStatus.choices)
    author = IdFilter(field_name="author_id")
    review_due_before = django_filters.DateFilter(field_name="next_review_date", lookup_expr="lt")

    class Meta:
        model = CarePlan
        fields = ["patient", "status", "author"]


@extend_schema_view(
    list=extend_schema(summary="Care plans of your patients"),
    retrieve=extend_schema(summary="One care plan"),
)
class CarePlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CarePlanSerializer
    filterset_class = CarePlanFilter
    search_fields = ["title"]
    ordering_fields = ["period_start", "next_review_date", "updated_at", "id"]
    ordering = ["-period_start", "-id"]
    perms = {"list": "careplans.view_careplan", "retrieve": "careplans.view_careplan"}

    def get_queryset(self):
        return care_plans_visible_to(self.request.user).prefetch_related("needs")

    def get_object(self):
        return access_care_plan(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Start a care plan (as a draft)",
        request=CarePlanCreateSerializer,
        responses={201: CarePlanSerializer},
    )
    def create(self, request):
        incoming = CarePlanCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(
            request.user, data.pop("patient").pk, perm="careplans.add_careplan"
        )
        care_plan = services.careplan_create(
            patient=patient,
            by=request.user,
            data=data,
            needs=needs_by_category(data.pop("needs", [])),
        )
        return Response(CarePlanSerializer(care_plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a care plan",
        request=CarePlanUpdateSerializer,
        responses={200: CarePlanSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        care_plan = access_care_plan(request.user, pk, perm="careplans.change_careplan")
        incoming = CarePlanUpdateSerializer(care_plan, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        version = self.expected_version(data.pop("version", None), required=True)
        needs = data.pop("needs", None)
        if needs is None:
            needs = [
                {"category": n.category, "description": n.description}
                for n in care_plan.needs.all()
            ]
        care_plan = services.careplan_update(
            care_plan=care_plan,
            by=request.user,
            data=data,
            needs=needs_by_category(needs),
            expected_version=version,
        )
        return Response(CarePlanSerializer(care_plan).data)

    @extend_schema(
        summary="Move a care plan (activate, hold, complete, revoke ...)",
        request=CarePlanTransitionSerializer,
        responses={200: CarePlanSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk: int):
        care_plan = access_care_plan(request.user, pk, perm="careplans.change_careplan")
        move = CarePlanTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        care_plan = transitions.careplan_transition(
            care_plan=care_plan,
            by=request.user,
            target=move.validated_data["to"],
            reason=move.validated_data["reason"],
            expected_version=self.expected_version(
                move.validated_data.get("version"), required=False
            ),
            open_work=move.validated_data["open_work"],
        )
        return Response(CarePlanSerializer(care_plan).data)


# --- Goals and their progress ---------------------------------------------------------------


class GoalSerializer(ReadSerializer):
    patient = serializers.IntegerField(source="care_plan.patient_id", read_only=True)
    achievement_status = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = [
            "id", "care_plan", "patient", "description", "category", "priority", "status",
            "achievement_status", "target_measure", "target_value", "target_unit",
            "target_date", "owner", "created_at", "updated_at", "version",
            "allowed_transitions",
        ]  # fmt: skip

    def get_achievement_status(self, goal: Goal) -> str | None:
        """The latest progress entry's (GoalQuerySet.with_achievement)."""
        return getattr(goal, "achievement_status", None)

    def get_allowed_transitions(self, goal: Goal) -> list[str]:
        return transitions.GOAL.allowed_from(goal.status)


class GoalUpdateSerializer(WriteModelSerializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded (or If-Match)."
    )

    class Meta:
        model = Goal
        fields = [*services.GOAL_FIELDS, "version"]

    def __init__(self, *args, care_plan: CarePlan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if care_plan is not None:
            self.fields["owner"].queryset = team_staff([care_plan.patient.care_team_id])

    def validate(self, attrs):
        owner = attrs.get("owner")
        care_plan = attrs.get("care_plan") or getattr(self.instance, "care_plan", None)
        if (
            owner is not None
            and care_plan is not None
            and not team_staff([care_plan.patient.care_team_id]).filter(pk=owner.pk).exists()
        ):
            raise serializers.ValidationError(
                {"owner": ["Choose an active member of the patient's care team."]}
            )
        return attrs


class GoalCreateSerializer(ScopedSerializer, GoalUpdateSerializer):
    care_plan = IdField(queryset=CarePlan.objects.none())

    class Meta(GoalUpdateSerializer.Meta):
        fields = ["care_plan", *services.GOAL_FIELDS]

    def scope(self, user) -> None:
        self.fields["care_plan"].queryset = care_plans_visible_to(user).select_related("patient")


class GoalTransitionSerializer(TransitionSerializer):
    to = serializers.ChoiceField(choices=GoalStatus.choices)


class GoalProgressSerializer(WriteModelSerializer):
    class Meta:
        model = GoalProgress
        fields = [
            "id", "goal", "recorded_on", "achievement_status", "measured_value", "note",
            "recorded_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "goal", "recorded_by", "created_at"]


class GoalFilter(ApiFilterSet):
    care_plan = IdFilter(field_name="care_plan_id")
    patient = IdFilter(field_name="care_plan__patient_id")
    status = django_filters.MultipleChoiceFilter(choices=GoalStatus.choices)
    priority = django_filters.ChoiceFilter(choices=GoalPriority.choices)
    owner = IdFilter(field_name="owner_id")
    target_before = django_filters.DateFilter(field_name="target_date", lookup_expr="lt")

    class Meta:
        model = Goal
        fields = ["care_plan", "patient", "status", "priority", "owner"]


@extend_schema_view(
    list=extend_schema(summary="Goals of your patients"),
    retrieve=extend_schema(summary="One goal, with its achievement status"),
)
class GoalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = GoalSerializer
    filterset_class = GoalFilter
    search_fields = ["description", "target_measure"]
    ordering_fields = ["target_date", "priority", "updated_at", "id"]
    ordering = ["id"]
    perms = {"list": "careplans.view_goal", "retrieve": "careplans.view_goal"}

    def get_queryset(self):
        return goals_visible_to(self.request.user).select_related("care_plan").with_achievement()

    def get_object(self):
        goal = access_goal(self.request.user, self.kwargs["pk"])
        return self.get_queryset().get(pk=goal.pk)

    @extend_schema(
        summary="Add a goal (proposed) to an open care plan",
        request=GoalCreateSerializer,
        responses={201: GoalSerializer},
    )
    def create(self, request):
        incoming = GoalCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        care_plan = access_care_plan(
            request.user, data.pop("care_plan").pk, perm="careplans.add_goal"
        )
        goal = services.goal_create(care_plan=care_plan, by=request.user, data=data)
        return Response(
            GoalSerializer(self.get_queryset().get(pk=goal.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change a goal",
        request=GoalUpdateSerializer,
        responses={200: GoalSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        goal = access_goal(request.user, pk, perm="careplans.change_goal")
        incoming = GoalUpdateSerializer(
            goal, data=request.data, partial=True, care_plan=goal.care_plan
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        version = self.expected_version(data.pop("version", None), required=True)
        goal = services.goal_update(goal=goal, by=request.user, data=data, expected_version=version)
        return Response(GoalSerializer(self.get_queryset().get(pk=goal.pk)).data)

    @extend_schema(
        summary="Move a goal (accept, start, hold, complete, cancel ...)",
        request=GoalTransitionSerializer,
        responses={200: GoalSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk: int):
        goal = access_goal(request.user, pk, perm="careplans.change_goal")
        move = GoalTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        goal = transitions.goal_transition(
            goal=goal,
            by=request.user,
            target=move.validated_data["to"],
            reason=move.validated_data["reason"],
            expected_version=self.expected_version(
                move.validated_data.get("version"), required=False
            ),
        )
        return Response(GoalSerializer(self.get_queryset().get(pk=goal.pk)).data)

    @extend_schema(
        summary="Progress entries of a goal, newest first",
        responses={200: GoalProgressSerializer(many=True)},
        filters=False,
    )
    @action(
        detail=True, methods=["get"], url_path="progress", pagination_class=PageNumberPagination
    )
    def progress(self, request, pk: int):
        goal = access_goal(request.user, pk)
        entries = goal.progress.order_by("-recorded_on", "-created_at", "-pk")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(GoalProgressSerializer(page, many=True).data)

    @extend_schema(
        summary="Record progress on a goal",
        request=GoalProgressSerializer,
        responses={201: GoalProgressSerializer},
    )
    @progress.mapping.post
    def record_progress(self, request, pk: int):
        goal = access_goal(request.user, pk, perm="careplans.add_goalprogress")
        incoming = GoalProgressSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        entry = services.goal_record_progress(
            goal=goal, by=request.user, data=incoming.validated_data
        )
        return Response(GoalProgressSerializer(entry).data, status=status.HTTP_201_CREATED)
