"""Care-team scope in Django admin: the one rule of the pages (patients_visible_to) applied
to every admin class and inline that shows a patient's records.

A staff user who is not an admin (a coordinator with ``is_staff`` ticked, say) sees in
admin only the records of their teams' patients, as on the pages: the change list and its
actions and filters' results, the change, delete and history pages (404 outside, rather
than admin's redirect to the index), the records offered in foreign-key fields (a patient,
a care plan, a care team; a POST naming another team's one is a form error) and inlines.
Admins (superusers and the admin role) see everything, as on the pages.

The records' patient is found by the same paths the field history uses
(``audit.history``); a model that is not tracked names its path(s) in ``patient_paths``.
Rows whose path leads to no patient (a reminder to a user, an audit row of a sign-in) are
not a patient's data and stay visible.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from accounts.models import CareTeam
from patients.models import Patient
from patients.selectors import scope_team_ids


def patient_paths_of(model: type[Model], declared: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The paths from a record of ``model`` to its patient: those declared, else the field
    history's, else a ``patient`` foreign key; () for records of no patient."""
    if declared:
        return declared
    event_models = getattr(model, "pgh_event_models", {})
    if event_models:
        path = next(iter(event_models.values())).pgh_patient_path
        return () if path is None else (path,)
    field_names = {field.name for field in model._meta.get_fields()}
    if "patient" in field_names and model._meta.get_field("patient").related_model is Patient:
        return ("patient",)
    return ()


def scope_queryset(queryset: QuerySet, user, paths: tuple[str, ...]) -> QuerySet:
    """``queryset`` cut to the records whose every patient (along ``paths``) is one of the
    user's teams'; unchanged for admins and for records of no patient."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if not paths:
        if queryset.model is CareTeam and not user.is_admin:
            return queryset.filter(pk__in=_team_ids(user))
        return queryset
    team_ids = scope_team_ids(user)
    if team_ids is None:
        return queryset
    condition = Q()
    for path in paths:
        if path == "id":
            condition &= Q(care_team_id__in=team_ids)
            continue
        field = path.split("__")
        in_scope = Q(**{f"{path}__care_team_id__in": team_ids})
        if _nullable(queryset.model, field):
            in_scope |= Q(**{f"{path}__isnull": True})
        condition &= in_scope
    return queryset.filter(condition)


def _team_ids(user):
    team_ids = scope_team_ids(user)
    return [] if team_ids is None else team_ids


def _nullable(model: type[Model], hops: list[str]) -> bool:
    for hop in hops:
        field = model._meta.get_field(hop)
        if field.null:
            return True
        model = field.related_model
    return False


class CareTeamScopeMixin:
    """For ModelAdmin and InlineModelAdmin classes: queryset and foreign-key choices in the
    user's care teams (module docstring)."""

    patient_paths: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return scope_queryset(
            queryset, request.user, patient_paths_of(self.model, self.patient_paths)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        paths = patient_paths_of(related)
        if paths or related is CareTeam:
            queryset = kwargs.get("queryset")
            if queryset is None:
                queryset = related._default_manager.all()
            kwargs["queryset"] = scope_queryset(queryset, request.user, paths)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Out of scope and missing alike: 404, as on the pages (admin would redirect to
        # its index with "does not exist", which tells an outsider nothing less).
        raise Http404
