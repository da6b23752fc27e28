"""Optimistic locking in Django admin, as on the pages: an admin's edit made on a version
that is no longer current is refused, and a saved edit moves the version on.

Without this an admin's save neither checked the version nor moved it: it overwrote
whatever a coordinator had saved since the admin opened the record, and a coordinator
still holding the old version could then overwrite the admin's change in turn, each
unaware of the other.

The change form carries the version it was opened at (``loaded_version``, hidden). On
save the record's row is locked (SELECT ... FOR UPDATE, inside the admin's transaction) and
its version compared: a difference is a form error and nothing is saved; otherwise the
version goes up by one with the save. Statuses still move only through each app's
transitions (read-only here)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

STALE = _(
    "Someone else saved this %(record)s after you opened it. Nothing was saved: reload the "
    "page to see their changes, then make yours again."
)


class VersionedAdminForm(forms.ModelForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("loaded_version", self.instance.version)

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None or not self.has_changed():
            return cleaned
        current = (
            type(instance)
            ._default_manager.select_for_update()
            .filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is None or current != cleaned.get("loaded_version"):
            raise ValidationError(
                STALE, code="stale", params={"record": instance._meta.verbose_name}
            )
        instance.version = current + 1
        return cleaned


class VersionedAdminMixin:
    """For a ModelAdmin or an inline of a model with a ``version`` field."""

    form = VersionedAdminForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if "loaded_version" in fields else [*fields, "loaded_version"]
