"""Form widgets for the pages drawn most often."""

from __future__ import annotations

import html

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString


class FastSelect(forms.Select):
    """A single-choice ``<select>`` written directly, not through Django's template per
    option: the same HTML, at a few microseconds an option instead of about 150. List
    filters offer hundreds of teams or services to an admin; drawn through templates,
    500 options cost some 80 ms of every page. Values and labels are escaped as the
    templates would.

    ``label_field`` names the model field a model choice's label is (the label
    ``str(instance)`` gives): the rows are then read as (pk, label) pairs, without a model
    instance each (some 10 microseconds a row; 5 ms of an admin's page for 500 teams)."""

    def __init__(self, attrs=None, choices=(), *, label_field: str | None = None):
        super().__init__(attrs, choices)
        self.label_field = label_field

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        options = []
        for option_value, option_label in _choices(self.choices, self.label_field):
            if isinstance(option_label, (list, tuple)):  # an optgroup
                options.append(f'<optgroup label="{html.escape(str(option_value))}">')
                options.extend(_option(v, label, chosen) for v, label in option_label)
                options.append("</optgroup>")
            else:
                options.append(_option(option_value, option_label, chosen))
        # Every value and label above went through escape(): the joined options are safe.
        options_html = SafeString("".join(options))  # nosec B703
        return format_html("<select{}>{}</select>", attributes, options_html)


def _choices(choices, label_field: str | None = None):
    """The choices as ModelChoiceIterator gives them (its empty label, django-filter's null
    label, then a choice per row), with the rows read by one plain query: the iterator reads
    through QuerySet.iterator(), which on PostgreSQL opens a server-side cursor (DECLARE,
    FETCH, CLOSE: three round trips, and a cursor held past its transaction) for a select's
    few dozen rows. With ``label_field``, the rows are (pk, label) pairs. Other choices are
    taken as they are."""
    if not isinstance(choices, ModelChoiceIterator):
        return choices
    field = choices.field
    head = []
    if field.empty_label is not None:
        head.append(("", field.empty_label))
    if getattr(field, "null_label", None) is not None:
        head.append((field.null_value, field.null_label))
    if label_field and field.to_field_name is None:
        return [*head, *choices.queryset.values_list("pk", label_field)]
    return [*head, *(choices.choice(row) for row in choices.queryset.all())]


def _escape(value) -> str:
    """What django.utils.html.conditional_escape writes (safe text as it is, the rest
    through html.escape), without its lazy-string wrapper and SafeString per call."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _option(value, label, chosen: set[str]) -> str:
    """One ``<option>``, value and label escaped (a plain f-string: format_html costs
    several times more, and an admin's team filter has 500 of them)."""
    text = "" if value is None else str(value)
    selected = " selected" if text in chosen else ""
    return f'<option value="{html.escape(text)}"{selected}>{_escape(label)}</option>'


def use_fast_selects(filterset) -> None:
    """Give every single-choice filter of ``filterset`` (django-filter) a FastSelect,
    unless it names its own widget. Call from ``__init__``, before the form is built."""
    from django_filters.filters import BaseCSVFilter

    for filter_ in filterset.filters.values():
        if isinstance(filter_, BaseCSVFilter) or "widget" in filter_.extra:
            continue
        field_class = filter_.field_class
        if issubclass(field_class, forms.ChoiceField) and not issubclass(
            field_class, forms.MultipleChoiceField
        ):
            filter_.extra["widget"] = FastSelect
