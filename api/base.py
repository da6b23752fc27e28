"""What every API view shares: DRF authenticates it (not LoginRequiredMiddleware), a
permission per action, and optimistic locking through ``version`` or ``If-Match``."""

from __future__ import annotations

import datetime
import re

import django_filters
from django import forms
from django.contrib.auth.decorators import login_not_required
from django.db import models
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers, viewsets

from api.exceptions import PreconditionFailed
from api.throttling import ThrottleFirst

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag of the version you loaded (for example "3"); or send "version" '
    "in the body. A version that is no longer current gets 412 and changes nothing.",
)
_ETAG = re.compile(r'(?:W/)?"(\d{1,9})"')


class IdFilter(django_filters.NumberFilter):
    """A record id in a filter: a whole number within a 64-bit key, else 400 (never a
    float or an out-of-range value reaching the database)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date and time, compared in UTC: any valid offset is accepted (PostgreSQL
    refuses offsets beyond +/-15:59 in a literal, which schemathesis found as a 500)."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(datetime.UTC)
        return super().filter(qs, value)


class ActionPermission(permissions.BasePermission):
    """The Django permission the view names for the action (``perms``); record-level
    checks (scope: 404, permission on the record: 403) are the access_* functions'."""

    def has_permission(self, request, view) -> bool:
        perm = getattr(view, "perms", {}).get(view.action)
        return perm is None or request.user.has_perm(perm)


class ApiViewSet(ThrottleFirst, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, ActionPermission]
    perms: dict[str, str] = {}
    # Ids only in paths (no PHI in URLs), and within a 64-bit key: anything else is a 404
    # from the URL resolver, never a database error.
    lookup_value_regex = r"[0-9]{1,18}"

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # DRF authenticates API requests itself: a session or a token; without either,
        # 401 JSON rather than LoginRequiredMiddleware's redirect to the sign-in page.
        # (DRF >= 3.15.2 marks its views so too; this says it where it is relied on.)
        return login_not_required(super().as_view(actions, **initkwargs))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            response.status_code in (200, 201)
            and isinstance(data, dict)
            and isinstance(data.get("version"), int)
        ):
            response["ETag"] = f'"{data["version"]}"'
        return response

    def expected_version(self, body_version: int | None, *, required: bool) -> int | None:
        """The version the client edited: ``version`` in the body, or If-Match."""
        header = self.request.headers.get("If-Match", "").strip()
        header_version = None
        if header:
            match = _ETAG.fullmatch(header)
            if match is None:
                raise PreconditionFailed(_("record"))
            header_version = int(match[1])
        if None not in (body_version, header_version) and body_version != header_version:
            raise PreconditionFailed(_("record"))
        version = body_version if body_version is not None else header_version
        if version is None and required:
            raise serializers.ValidationError(
                {"version": [_("Send the version you loaded: in the body or as If-Match.")]}
            )
        return version


class ReadSerializer(serializers.ModelSerializer):
    """An answer: every field read-only, described as it really is. Blank choices, emails
    and links stay allowed ("" where the model allows blank), which DRF's
    ``read_only_fields`` would hide from the schema."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.EmailField: serializers.CharField,
        models.URLField: serializers.CharField,
    }

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class ScopedSerializer(serializers.Serializer):
    """Input whose related ids are limited to the caller's scope: ``scope(user)`` sets the
    fields' querysets, so an id outside it reads "does not exist", like one never issued."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # the schema generator builds serializers without one
            self.scope(request.user)

    def scope(self, user) -> None:
        raise NotImplementedError


class TransitionSerializer(serializers.Serializer):
    """POST .../{id}/transition: the target state and why (some moves need a reason)."""

    to = serializers.CharField(max_length=32)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Optional: the version you loaded (or If-Match)."
    )
