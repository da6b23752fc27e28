"""Read-only admin for the audit trail and the field history tables: nothing here can add,
change or delete a row (and on PostgreSQL the tables' triggers would refuse anyway)."""

from django.contrib import admin
from django.db.models import BigIntegerField, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import context as audit_context
from audit.history import history_models, patient_id_at, patient_id_of
from audit.models import AuditAction, AuditEvent
from audit.services import audit_record
from patients.admin_scope import CareTeamScopeMixin


class ReadOnlyAdminMixin:
    """Records written only by CareHub's services and triggers: admin shows them, never
    adds, changes or deletes them (admins and inlines alike)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class PatientAuditMixin(CareTeamScopeMixin):
    """For admins of a patient's records, in the user's care teams (patients.admin_scope:
    queryset, foreign-key choices, 404 outside). Opening one (change or view page, its history,
    its deletion) or saving it notes its patient and the record for the request's audit
    row, as the pages' access functions do (patients.permissions). Without it an admin's
    look at a patient's record left a row of no patient, missing from the patient's trail.

    The patient is found by the model's field history path (audit.history.patient_id_of);
    an untracked model names its path(s) in ``patient_paths``."""

    patient_paths: tuple[str, ...] = ()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            self.note_audited(obj)
        return obj

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # Every patient the list shows, in the request's audit row. Reading the page here
        # fills its queryset's cache: the template shows the same rows, read once.
        audit_context.note_listed(changelist.result_list, paths=self.patient_paths or None)
        return changelist

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.note_audited(obj)  # an added record has its id (and maybe its patient) only now

    def note_audited(self, obj) -> None:
        if self.patient_paths:
            patient_ids = [patient_id_at(obj, path) for path in self.patient_paths]
        else:
            patient_ids = [patient_id_of(obj)]
        for patient_id in patient_ids:
            if patient_id is not None:
                audit_context.note_patient(patient_id)
        audit_context.note_object(obj)


class AuditedDeletionMixin:
    """For admins of patient records that may be deleted: hard deletion happens only
    here (the pages mark mistakes entered-in-error), and each deleted record, inlines
    included, gets an audit row (action delete, with its patient) on every database.
    On PostgreSQL the field history also keeps the deleted row, masked."""

    def delete_model(self, request, obj):
        event = _deletion(request, obj)
        super().delete_model(request, obj)
        event.save()

    def delete_queryset(self, request, queryset):
        events = [_deletion(request, obj) for obj in queryset]
        super().delete_queryset(request, queryset)
        AuditEvent.objects.bulk_create(events)

    def save_formset(self, request, form, formset, change):
        events = [
            _deletion(request, row.instance)
            for row in formset.deleted_forms
            if row.instance.pk is not None
        ]
        super().save_formset(request, form, formset, change)
        AuditEvent.objects.bulk_create(events)


def _deletion(request, obj) -> AuditEvent:
    """The audit row for ``obj``, built before it goes (deleting clears its id)."""
    return audit_record(
        action=AuditAction.DELETE,
        actor=request.user,
        request=request,
        patient_id=patient_id_of(obj),
        obj=obj,
        save=False,
    )


class InputFilter(admin.SimpleListFilter):
    """A text box rather than a list of links (a link per patient would not do)."""

    template = "admin/audit/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # one entry, or the admin hides the filter

    def get_facet_counts(self, pk_attname, filtered_qs):
        return {}

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All"),
        }
        yield {
            "parameter_name": self.parameter_name,
            "value": self.value() or "",
            "other_params": [
                (name, value)
                for name, value in changelist.params.items()
                if name != self.parameter_name
            ],
        }


class PatientFilter(InputFilter):
    title = _("patient (id)")
    parameter_name = "patient"
    field = "patient_id"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        if self.field == "patient_id":  # the audit trail: the lists that showed them too
            return queryset.for_patient(int(value))
        return queryset.filter(**{self.field: int(value)})


class HistoryUserFilter(InputFilter):
    """Who made the change: a username or a user id (from the row's context)."""

    title = _("user (username or id)")
    parameter_name = "user"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        user_ids = (
            [int(value)]
            if value.isdigit()
            else list(User.objects.filter(username=value).values_list("pk", flat=True))
        )
        return queryset.filter(pgh_context__user__in=user_ids)


@admin.register(AuditEvent)
class AuditEventAdmin(CareTeamScopeMixin, ReadOnlyAdmin):
    """Read-only: the trail cannot be changed or deleted through admin. A staff user who
    is not an admin sees the rows of their teams' patients and rows of no patient, but no
    list's row (its patients may be of any team: their trail pages show them)."""

    patient_paths = ("patient",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_admin:
            queryset = queryset.filter(patient_ids=[])
        return queryset

    @admin.display(description=_("patients listed"))
    def listed(self, obj) -> int:
        return len(obj.patient_ids)

    list_display = [
        "occurred_at",
        "actor_username",
        "action",
        "outcome",
        "patient_id",
        "listed",
        "object_type",
        "object_id",
        "route",
        "ip_address",
    ]
    # By user, patient, action and date (and outcome).
    list_filter = ["action", "outcome", "occurred_at", "actor", PatientFilter]
    search_fields = ["actor_username", "=patient__id", "object_id", "route"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    list_select_related = False

    def get_search_results(self, request, queryset, search_term):
        if search_term.isdigit():
            return queryset.for_patient(int(search_term)) | queryset.filter(
                object_id=search_term
            ), False
        return super().get_search_results(request, queryset, search_term)


class HistoryPatientFilter(PatientFilter):
    field = "pgh_patient_id"


class FieldHistoryAdmin(PatientAuditMixin, ReadOnlyAdmin):
    """One history table (audit/history.py): who changed which fields of which record.
    Masked values (audit/phi.py) show as *** here as everywhere."""

    patient_paths = ("pgh_patient",)

    list_display = [
        "pgh_created_at",
        "pgh_label",
        "pgh_obj_id",
        "pgh_patient_id",
        "actor",
        "changed_fields",
    ]
    list_filter = ["pgh_label", "pgh_created_at", HistoryUserFilter, HistoryPatientFilter]
    date_hierarchy = "pgh_created_at"
    search_fields = ["pgh_obj_id"]
    search_help_text = _("A record's id.")
    show_full_result_count = False
    fields = [
        "pgh_created_at",
        "pgh_label",
        "pgh_obj_id",
        "pgh_patient_id",
        "pgh_context_id",
        "pgh_context",
        "pgh_diff",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        user_id = Cast(KeyTextTransform("user", "pgh_context"), BigIntegerField())
        username = User.objects.filter(pk=OuterRef("_actor_id")).values("username")[:1]
        return (
            super()
            .get_queryset(request)
            .alias(_actor_id=user_id)
            .annotate(actor_username=Subquery(username))
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return (queryset.filter(pgh_obj_id=int(term)) if term.isdigit() else queryset.none()), False

    @admin.display(description=_("who"))
    def actor(self, obj) -> str:
        context = obj.pgh_context or {}
        return (
            obj.actor_username
            or context.get("task")
            or context.get("command")
            or context.get("db_user", "")
        )

    @admin.display(description=_("fields"))
    def changed_fields(self, obj) -> str:
        return ", ".join(sorted(obj.pgh_diff))


for _model in history_models():
    admin.site.register(_model, FieldHistoryAdmin)
