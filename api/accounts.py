"""/api/v1/users/ and /api/v1/teams/ (read): the people and teams the caller works with."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import CareTeam, TeamMembership, User
from accounts.roles import GROUP_NAMES
from api.base import ApiFilterSet, ApiViewSet, IdFilter, ReadSerializer
from patients.selectors import teams_of

ROLE_OF_GROUP = {name: role.value for role, name in GROUP_NAMES.items()}


class UserSerializer(ReadSerializer):
    roles = serializers.SerializerMethodField()
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "roles",
            "teams",
        ]

    def get_roles(self, user: User) -> list[str]:
        """coordinator, case_manager, admin."""
        roles = [ROLE_OF_GROUP[g.name] for g in user.groups.all() if g.name in ROLE_OF_GROUP]
        if user.is_superuser and "admin" not in roles:
            roles.append("admin")
        return sorted(roles)


class TeamSerializer(ReadSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CareTeam
        fields = ["id", "name", "description", "is_active", "members"]


def users_visible_to(user: User):
    """Colleagues: the members of the caller's teams (everyone, for admins), and the caller."""
    if user.is_admin:
        return User.objects.all()
    colleagues = TeamMembership.objects.filter(team__in=teams_of(user)).values("user_id")
    return User.objects.filter(Q(pk__in=colleagues) | Q(pk=user.pk))


class UserFilter(ApiFilterSet):
    team = IdFilter(field_name="memberships__team_id", distinct=True)

    class Meta:
        model = User
        fields = ["team", "is_active"]


@extend_schema_view(
    list=extend_schema(summary="Your colleagues (members of your teams)"),
    retrieve=extend_schema(summary="One colleague"),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = UserSerializer
    filterset_class = UserFilter
    search_fields = ["username", "first_name", "last_name"]
    ordering_fields = ["last_name", "username", "id"]
    ordering = ["last_name", "first_name", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return User.objects.none()
        return users_visible_to(self.request.user).prefetch_related("groups", "teams")

    @extend_schema(summary="You", responses={200: UserSerializer}, filters=False)
    @action(detail=False, methods=["get"], pagination_class=None)
    def me(self, request):
        return Response(UserSerializer(self.get_queryset().get(pk=request.user.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="Your care teams (all teams, for admins)"),
    retrieve=extend_schema(summary="One team"),
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TeamSerializer
    filterset_fields = ["is_active"]
    search_fields = ["name"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return teams_of(self.request.user).prefetch_related("members")
