"""/api/v1/notifications/ and /api/v1/reminders/: the signed-in user's own (read, mark
read). Another user's notification or reminder does not exist for them (404), whatever
their role, as on the pages (reminders.selectors)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import ApiFilterSet, ApiViewSet, ReadSerializer
from reminders import selectors, services
from reminders.models import Notification, Reminder, ReminderKind, ReminderState


class NotificationSerializer(ReadSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "read_at", "created_at"]


class NotificationFilter(ApiFilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Not read yet"
    )
    kind = django_filters.ChoiceFilter(choices=ReminderKind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


@extend_schema_view(
    list=extend_schema(summary="My notifications (the bell)"),
    retrieve=extend_schema(summary="One of my notifications"),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.notifications_of(self.request.user)

    @extend_schema(
        summary="Mark one of my notifications read", request=None, responses=NotificationSerializer
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        responses=inline_serializer(
            "NotificationsMarkedRead", {"marked_read": serializers.IntegerField()}
        ),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": services.notifications_mark_all_read(user=request.user)})


class ReminderSerializer(ReadSerializer):
    about_type = serializers.CharField(source="content_type.model", read_only=True, allow_null=True)

    class Meta:
        model = Reminder
        fields = [
            "id", "kind", "channel", "state", "send_at", "due_at", "sent_at", "attempts",
            "about_type", "object_id", "patient",
        ]  # fmt: skip


class ReminderFilter(ApiFilterSet):
    state = django_filters.ChoiceFilter(choices=ReminderState.choices)
    kind = django_filters.ChoiceFilter(choices=ReminderKind.choices)

    class Meta:
        model = Reminder
        fields = ["state", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Reminders addressed to me"),
    retrieve=extend_schema(summary="One reminder addressed to me"),
)
class ReminderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    ordering_fields = ["send_at", "id"]
    ordering = ["-send_at", "-id"]

    def get_queryset(self):
        return Reminder.objects.filter(recipient_user_id=self.request.user.pk).select_related(
            "content_type"
        )
