"""/api/v1/tasks/: tasks and follow-ups. Moves (completion included) go through
careplans.transitions; a new due time through services.task_reschedule."""

from __future__ import annotations

import django_filters
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
    UtcDateTimeFilter,
    WriteModelSerializer,
)
from api.pagination import CursorPagination
from careplans import services, transitions
from careplans.models import OPEN_TASK, CarePlan, Goal, Task, TaskPriority, TaskStatus
from careplans.permissions import access_task
from careplans.selectors import care_plans_visible_to, goals_visible_to, tasks_visible_to
from patients.models import Patient
from patients.permissions import access_patient
from patients.selectors import patients_visible_to


class TaskSerializer(ReadSerializer):
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "patient", "care_plan", "goal", "description", "assignee", "due_at",
            "priority", "status", "completion_note", "completed_by", "completed_at",
            "repeat_every", "repeat_unit", "repeat_until", "repeat_count", "occurrence",
            "series", "created_by", "created_at", "updated_at", "version",
            "allowed_transitions",
        ]  # fmt: skip

    def get_allowed_transitions(self, task: Task) -> list[str]:
        return transitions.TASK.allowed_from(task.status)


class TaskCreateSerializer(ScopedSerializer, WriteModelSerializer):
    """The assignee must be an active member of the patient's team (checked by the model)."""

    patient = IdField(queryset=Patient.objects.none())
    care_plan = IdField(queryset=CarePlan.objects.none(), required=False, allow_null=True)
    goal = IdField(queryset=Goal.objects.none(), required=False, allow_null=True)

    class Meta:
        model = Task
        fields = ["patient", *services.TASK_FIELDS]
        # A task repeats every 1 or more days or weeks, 1 or more times in all (0 would
        # be a repeating task without a unit, which the database refuses); left out or
        # null, it does not repeat.
        extra_kwargs = {"repeat_every": {"min_value": 1}, "repeat_count": {"min_value": 1}}

    def scope(self, user) -> None:
        self.fields["patient"].queryset = patients_visible_to(user)
        self.fields["care_plan"].queryset = care_plans_visible_to(user)
        self.fields["goal"].queryset = goals_visible_to(user)


class TaskRescheduleSerializer(InputSerializer):
    due_at = serializers.DateTimeField(help_text="The new due time (an open task only).")
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded (or If-Match)."
    )


class TaskTransitionSerializer(TransitionSerializer):
    to = serializers.ChoiceField(
        choices=TaskStatus.choices,
        help_text="Completing (from in-progress) takes the completion note as reason.",
    )


class TaskFilter(ApiFilterSet):
    patient = IdFilter(field_name="patient_id")
    care_plan = IdFilter(field_name="care_plan_id")
    goal = IdFilter(field_name="goal_id")
    assignee = IdFilter(field_name="assignee_id")
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="Open (not final)")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past due")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Assigned to me")
    due_before = UtcDateTimeFilter(field_name="due_at", lookup_expr="lt")
    due_after = UtcDateTimeFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = Task
        fields = ["patient", "care_plan", "goal", "assignee", "status", "priority"]

    def filter_open(self, queryset, name, value):
        return (
            queryset.filter(status__in=OPEN_TASK)
            if value
            else queryset.exclude(status__in=OPEN_TASK)
        )

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue(timezone.now())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(assignee=user) if value else queryset.exclude(assignee=user)


@extend_schema_view(
    list=extend_schema(summary="Tasks of your patients (cursor pages, by due time)"),
    retrieve=extend_schema(summary="One task"),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TaskSerializer
    pagination_class = CursorPagination
    filterset_class = TaskFilter
    search_fields = ["description"]
    ordering_fields = ["due_at", "updated_at", "created_at", "id"]
    ordering = ["due_at", "id"]
    perms = {
        "list": "careplans.view_task",
        "retrieve": "careplans.view_task",
        "create": "careplans.add_task",
    }

    def get_queryset(self):
        return tasks_visible_to(self.request.user)

    def get_object(self):
        return access_task(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Add a task for a patient",
        request=TaskCreateSerializer,
        responses={201: TaskSerializer},
    )
    def create(self, request):
        incoming = TaskCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        patient = access_patient(request.user, data.pop("patient").pk, perm="careplans.add_task")
        task = services.task_create(patient=patient, by=request.user, data=data)
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reschedule an open task",
        request=TaskRescheduleSerializer,
        responses={200: TaskSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk: int):
        task = access_task(request.user, pk, perm="careplans.change_task")
        incoming = TaskRescheduleSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        version = self.expected_version(incoming.validated_data.get("version"), required=True)
        task = services.task_reschedule(
            task=task,
            by=request.user,
            due_at=incoming.validated_data["due_at"],
            expected_version=version,
        )
        return Response(TaskSerializer(task).data)

    @extend_schema(
        summary="Move a task (accept, start, hold, complete, fail, cancel, reject)",
        request=TaskTransitionSerializer,
        responses={200: TaskSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk: int):
        task = access_task(request.user, pk, perm="careplans.change_task")
        move = TaskTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        task = transitions.task_transition(
            task=task,
            by=request.user,
            target=move.validated_data["to"],
            reason=move.validated_data["reason"],
            expected_version=self.expected_version(
                move.validated_data.get("version"), required=False
            ),
        )
        return Response(TaskSerializer(task).data)
