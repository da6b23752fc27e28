"""What every API view shares: DRF authenticates it (not LoginRequiredMiddleware), a
permission per action, and optimistic locking through ``version`` or ``If-Match``."""

from __future__ import annotations

import copy
import datetime
import operator
import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import (
    ISO_8601,
    fields,
    filters,
    pagination,
    permissions,
    relations,
    serializers,
    viewsets,
)
from rest_framework.settings import api_settings

from api.authentication import TokenScopePermission
from api.exceptions import PreconditionFailed
from api.throttling import ThrottleFirst
from audit import context as audit_context

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag of the version you loaded (for example "3"); or send "version" '
    "in the body. A version that is no longer current gets 412 and changes nothing.",
)
_ETAG = re.compile(r'(?:W/)?"(\d{1,9})"')
MAX_ID = 2**63 - 1  # a 64-bit key
MAX_PAGE = 10**18 - 1  # a page number of at most 18 digits
# What the schema says of a record id in a filter or a body: the ids CareHub can issue.
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.NumberFilter):
    """A record id in a filter: a whole number within a 64-bit key, else 400 (never a
    float or an out-of-range value reaching the database)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field(ID_SCHEMA)
class IdField(relations.PrimaryKeyRelatedField):
    """A related record's id in a body: a JSON whole number, as the schema says; never a
    string of digits, a float (which DRF's field would truncate: 1.5 naming record 1) nor
    a bool."""

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if data > MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


_NUMBER = (int, float)


def json_type_error(field: serializers.Field, value: Any) -> str | None:
    """Why a body's ``value`` is not of the JSON type the schema gives ``field``, or None.
    DRF converts before it validates: 12 is the text "12", "5" the integer 5, "yes" true.
    The schema says a string, an integer, a boolean; so does the API. (None, a nested
    serializer and a record id are left to the field.)"""
    if value is None or isinstance(field, (serializers.BaseSerializer, relations.RelatedField)):
        return None
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField):
        ok = not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        )
    elif isinstance(field, (serializers.FloatField, serializers.DecimalField)):
        ok = isinstance(value, _NUMBER) and not isinstance(value, bool)
    elif isinstance(field, serializers.MultipleChoiceField):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    elif isinstance(field, serializers.ChoiceField):
        ok = isinstance(value, str) or not all(isinstance(key, str) for key in field.choices)
    elif isinstance(
        field,
        (serializers.CharField, serializers.DateField, serializers.DateTimeField),
    ):
        ok = isinstance(value, str)
    elif isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return None  # DRF's own "Expected a list of items"
        for item in value:
            error = json_type_error(field.child, item)
            if error is not None:
                return error
        return None
    else:
        return None
    if ok:
        return None
    return _("Expected %(type)s, got %(got)s.") % {
        "type": _json_type_name(field),
        "got": _JSON_NAMES.get(type(value), _("an object")),
    }


_JSON_NAMES = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "an object",
}


def _json_type_name(field: serializers.Field) -> str:
    if isinstance(field, serializers.BooleanField):
        return _("true or false")
    if isinstance(field, serializers.IntegerField):
        return _("a whole number")
    if isinstance(field, (serializers.FloatField, serializers.DecimalField)):
        return _("a number")
    if isinstance(field, serializers.MultipleChoiceField):
        return _("a list of strings")
    return _("a string")


class StrictInput:
    """A serializer that takes a JSON body as the schema types it (json_type_error): a
    value of another type is a field error, not converted. Every input serializer is one
    (InputSerializer, WriteModelSerializer), nested ones too."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for field in self._writable_fields:
                if field.field_name in data:
                    error = json_type_error(field, data[field.field_name])
                    if error is not None:
                        errors[field.field_name] = [error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class InputSerializer(StrictInput, serializers.Serializer):
    """A request body that is not built from a model."""


class WriteModelSerializer(StrictInput, serializers.ModelSerializer):
    """Input built from a model: its foreign keys (from Meta.fields) take ids strictly."""

    serializer_related_field = IdField


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date and time, compared in UTC: any valid offset is accepted (PostgreSQL
    refuses offsets beyond +/-15:59 in a literal, which schemathesis found as a 500)."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(datetime.UTC)
        return super().filter(qs, value)


class StrictBooleanField(forms.NullBooleanField):
    """A yes/no filter: ``true`` or ``false`` (any case); anything else, ``null`` and
    ``unknown`` included, is an error rather than no filter (NullBooleanField's reading)."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).lower()
        if text not in ("true", "false"):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return text == "true"

    def validate(self, value):
        pass


class QueryForm(forms.Form):
    """A list's query parameters as the schema describes them: a parameter that is not a
    list takes one value, and only a text parameter may be empty. (django-filter reads an
    empty value as "no filter" and keeps the last of repeated ones, so ``?is_active=`` or
    ``?patient=1&patient=2`` answered 200 as if not sent.)"""

    def clean(self):
        cleaned = super().clean()
        getlist = getattr(self.data, "getlist", None)
        for name, field in self.fields.items():
            if isinstance(field, forms.MultipleChoiceField) or name not in self.data:
                continue
            values = getlist(name) if getlist is not None else [self.data[name]]
            if len(values) > 1:
                self.add_error(name, _("Send one value."))
            elif values == [""] and not isinstance(field, forms.CharField):
                self.add_error(name, _("This field may not be blank."))
        return cleaned


class ApiFilterSet(django_filters.FilterSet):
    """A list's query parameters, strictly: a value of the wrong type, an empty one (but for
    text) or a repeated one answers 400 with the parameter's errors (QueryForm), and a
    yes/no filter takes only true or false (StrictBooleanField), so a filter is never
    silently dropped. Model booleans become the same strict filter.

    django-filter builds the form that validates them, with a form field and a label for
    every filter, on each request (most of a millisecond); here it is built once per
    FilterSet class. So a subclass must not change ``self.filters`` per request; filters
    whose queryset depends on the request (ModelChoiceFilter and the like) are not cached."""

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = strict_form(super().get_form_class())
            if not any(
                isinstance(filter_, django_filters.filters.QuerySetRequestMixin)
                for filter_ in self.filters.values()
            ):
                type(self)._form_class = form_class
        return form_class


def strict_form(form_class: type[forms.Form]) -> type[forms.Form]:
    """django-filter's form for a FilterSet, as a QueryForm with strict yes/no fields."""
    strict = type(form_class.__name__, (QueryForm, form_class), {})
    for name, field in list(strict.base_fields.items()):
        if type(field) is forms.NullBooleanField:
            strict.base_fields[name] = StrictBooleanField(
                required=False, label=field.label, help_text=field.help_text
            )
    return strict


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter for the API: every FilterSet an ApiFilterSet, ``filterset_fields``
    included, so every list validates its parameters the same way."""

    filterset_base = ApiFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, ApiFilterSet):
            raise ImproperlyConfigured(f"{filterset_class.__name__} is not an ApiFilterSet")
        return filterset_class


def check_page_parameters(request, paginator) -> None:
    """``page_size`` (and ``page``): a whole number within the schema's bounds, else 400
    with the parameter's error (DRF would answer a default page instead). A page past the
    last is still 404, and an unreadable cursor too."""
    errors = {}
    bounds = [
        (
            getattr(paginator, "page_size_query_param", None),
            getattr(paginator, "max_page_size", None),
        )
    ]
    if isinstance(paginator, pagination.PageNumberPagination):
        bounds.append((paginator.page_query_param, None))
    for name, maximum in bounds:
        if not name or name not in request.query_params:
            continue
        values = request.query_params.getlist(name)
        if len(values) > 1:
            errors[name] = [_("Send one value.")]
        elif not re.fullmatch(r"[0-9]{1,18}", values[0]) or int(values[0]) < 1:  # MAX_PAGE
            errors[name] = [_("Enter a whole number of at least 1.")]
        elif maximum is not None and int(values[0]) > maximum:
            errors[name] = [
                _("Ensure this value is less than or equal to %(max)d.") % {"max": maximum}
            ]
    if errors:
        raise serializers.ValidationError(errors)


class ActionPermission(permissions.BasePermission):
    """The Django permission the view names for the action (``perms``); record-level
    checks (scope: 404, permission on the record: 403) are the access_* functions'."""

    def has_permission(self, request, view) -> bool:
        perm = getattr(view, "perms", {}).get(view.action)
        return perm is None or request.user.has_perm(perm)


class ApiViewSet(ThrottleFirst, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, TokenScopePermission, ActionPermission]
    filter_backends = [ApiFilterBackend, filters.SearchFilter, filters.OrderingFilter]
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

    def paginate_queryset(self, queryset):
        if self.paginator is not None:
            check_page_parameters(self.request, self.paginator)
        page = super().paginate_queryset(queryset)
        # Every patient of the page is in the request's audit row.
        audit_context.note_listed(page if page is not None else ())
        return page

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

    # (Comments, not the docstring: the docstring is every answer's schema description.)
    # Lists are the hot path (50 rows of 30-odd fields a page), so two things DRF does per
    # request and per value are done once:
    # - the fields: ModelSerializer introspects the model for every serializer it builds
    #   (most of a millisecond); they depend on the class alone, so they are built once per
    #   class and each serializer gets its own copies (deepcopy, as DRF copies declared
    #   fields: a field is bound to its serializer).
    # - each value: to_representation reads a column, an annotation or a method field
    #   directly and converts it as the field's own to_representation would (see _reader),
    #   skipping DRF's generic attribute lookup; any other field (nested, dotted sources,
    #   phone numbers, lists) takes DRF's own steps. tests/api/test_read_serializer.py
    #   checks the answers against DRF's on real rows.

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.EmailField: serializers.CharField,
        models.URLField: serializers.CharField,
    }

    def get_fields(self):
        built = _BUILT_FIELDS.get(type(self))
        if built is None:
            built = _BUILT_FIELDS[type(self)] = super().get_fields()
        fields = copy.deepcopy(built)
        for field in fields.values():
            field.read_only = True
            # A declared field that reads None where there is nothing (``default=None``: a
            # referral's service name without a service) says so in the schema.
            if field.default is None:
                field.allow_null = True
        return fields

    @cached_property
    def _readers(self) -> tuple[list[tuple[str, Reader]], bool]:
        """(field name, reader) for each field in order, and whether any needs the zone."""
        columns = {f.name: f for f in self.Meta.model._meta.concrete_fields}
        readers = [(field.field_name, _reader(field, columns)) for field in self._readable_fields]
        return readers, any(getattr(read, "needs_zone", False) for _name, read in readers)

    def to_representation(self, instance):
        if not isinstance(instance, self.Meta.model):
            return super().to_representation(instance)
        readers, needs_zone = self._readers
        # DateTimeField's zone (DateTimeField.default_timezone), looked up once a row.
        zone = timezone.get_current_timezone() if needs_zone and settings.USE_TZ else None
        answer = {}
        for name, read in readers:
            value = read(instance, zone)
            if value is not _SKIP:
                answer[name] = value
        return answer


# ReadSerializer subclass -> its fields as ModelSerializer.get_fields built them (unbound).
_BUILT_FIELDS: dict[type[ReadSerializer], dict[str, serializers.Field]] = {}
_SKIP = object()  # the field's value is left out of the answer (DRF's SkipField)
Reader = Callable[[models.Model, datetime.tzinfo | None], Any]  # (instance, zone) -> value


def _reader(field: serializers.Field, columns: dict[str, models.Field]) -> Reader:
    """The field's value in the answer, exactly as Serializer.to_representation gives it.
    Shortcuts, each only for DRF's own class (a subclass may override its steps):

    - a foreign key (PrimaryKeyRelatedField): the key column, as DRF's PKOnlyObject;
    - a DateTimeField column: ISO 8601 in the caller's zone, "Z" for UTC;
    - a column, annotation or property of a type _converter knows: read and converted;
    - a SerializerMethodField: the serializer's method.

    None stays None, and a value not of the type the database gives goes to the field.
    Everything else (nested serializers, lists, phone numbers, dotted sources, callables,
    a missing attribute) takes DRF's own steps, ``read``."""

    def read(instance, zone):  # Serializer.to_representation's steps for one field
        try:
            attribute = field.get_attribute(instance)
        except fields.SkipField:
            return _SKIP
        check_for_none = (
            attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
        )
        return None if check_for_none is None else field.to_representation(attribute)

    kind = type(field)
    if kind is serializers.SerializerMethodField:
        method = getattr(field.parent, field.method_name)
        return lambda instance, zone: method(instance)
    if len(field.source_attrs) != 1:
        return read
    column = columns.get(field.source)
    if column is not None and column.is_relation:
        if kind is not relations.PrimaryKeyRelatedField or field.pk_field is not None:
            return read
        get = operator.attrgetter(column.attname)
        return lambda instance, zone: get(instance)
    if column is not None and kind is serializers.DateTimeField:
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if hasattr(field, "timezone") or not _is_iso(output_format):  # DRF's steps
            return read
        get = operator.attrgetter(column.attname)

        def read_datetime(instance, zone):
            value = get(instance)
            if value is None:
                return None
            if (
                type(value) is datetime.datetime
                and zone is not None
                and value.utcoffset() is not None
            ):
                try:
                    text = value.astimezone(zone).isoformat()
                except OverflowError:  # DRF's error, from DRF
                    return field.to_representation(value)
                return text[:-6] + "Z" if text.endswith("+00:00") else text
            return field.to_representation(value)

        read_datetime.needs_zone = True
        return read_datetime
    convert = _converter(field)
    if convert is None:
        return read
    if column is not None:
        get = operator.attrgetter(column.attname)

        def read_column(instance, zone):
            value = get(instance)
            return None if value is None else convert(value)

        return read_column
    name = field.source

    def read_attribute(instance, zone):  # an annotation or a property
        try:
            value = getattr(instance, name)
        except Exception:  # missing, or raised: DRF decides (a default, left out, an error)
            return read(instance, zone)
        if callable(value):  # DRF calls some callables
            return read(instance, zone)
        return None if value is None else convert(value)

    return read_attribute


def _converter(field: serializers.Field) -> Callable[[Any], Any] | None:
    """The field's ``to_representation`` for a value that is not None, or None where there
    is no shortcut. Each follows DRF's code for that exact class (a subclass may override
    it, so gets none)."""
    kind = type(field)
    if kind is serializers.CharField:
        return str
    if kind is serializers.IntegerField or (
        kind is serializers.BigIntegerField
        and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    ):
        return int
    if kind is serializers.BooleanField:
        return lambda value: value if type(value) is bool else field.to_representation(value)
    if kind is serializers.ChoiceField:
        labels = field.choice_strings_to_values
        return lambda value: (
            labels.get(value, value) if type(value) is str else field.to_representation(value)
        )
    if kind is serializers.DateField and _is_iso(
        getattr(field, "format", api_settings.DATE_FORMAT)
    ):
        return lambda value: (
            value.isoformat() if type(value) is datetime.date else field.to_representation(value)
        )
    return None


def _is_iso(output_format) -> bool:
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


class ScopedSerializer(InputSerializer):
    """Input whose related ids are limited to the caller's scope: ``scope(user)`` sets the
    fields' querysets, so an id outside it reads "does not exist", like one never issued."""

    # A ModelSerializer's own foreign keys (``assignee`` from Meta.fields) take ids strictly.
    serializer_related_field = IdField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # the schema generator builds serializers without one
            self.scope(request.user)

    def scope(self, user) -> None:
        raise NotImplementedError


class TransitionSerializer(InputSerializer):
    """POST .../{id}/transition: the target state and why (some moves need a reason)."""

    to = serializers.CharField(max_length=32)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Optional: the version you loaded (or If-Match)."
    )
