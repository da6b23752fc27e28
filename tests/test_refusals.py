"""carehub.refusals: what a service refuses is shown on the form, and the page goes on."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from carehub.refusals import refusal_shown_on
from carehub.transitions import InvalidTransition, StaleEdit


class NoteForm(forms.Form):
    note = forms.CharField()


def _form() -> NoteForm:
    form = NoteForm({"note": "Called the shelter"})
    assert form.is_valid()
    return form


def _after_refusal(form, refusal) -> list[str]:
    ran = []
    with refusal_shown_on(form):
        ran.append("service")
        raise refusal
    ran.append("page")  # the block is left at the refusal; the page goes on
    return ran


@pytest.mark.parametrize(
    "refusal, shown",
    [
        (StaleEdit("care plan"), "Someone else saved this care plan after you opened it"),
        (
            InvalidTransition(current="completed", target="active", allowed=[]),
            "Cannot move from “completed” to “active”",
        ),
        (ValidationError("The end date is before the start date."), "The end date is before"),
    ],
)
def test_a_refusal_is_a_form_error_and_stops_the_block(refusal, shown):
    form = _form()
    assert _after_refusal(form, refusal) == ["service", "page"]
    [error] = form.non_field_errors()
    assert error.startswith(shown)


def test_a_validation_error_naming_a_field_lands_on_that_field():
    form = _form()
    _after_refusal(form, ValidationError({"note": "Too short to be useful."}))
    assert form.errors == {"note": ["Too short to be useful."]}


def test_an_error_naming_a_field_the_form_does_not_show_goes_to_the_top():
    form = _form()
    _after_refusal(
        form,
        ValidationError(
            {"note": "Too short to be useful.", "service": "This service is no longer listed."}
        ),
    )
    assert form.errors["note"] == ["Too short to be useful."]
    assert form.non_field_errors() == ["This service is no longer listed."]


def test_anything_else_propagates_and_adds_no_error():
    form = _form()
    with pytest.raises(PermissionDenied):
        _after_refusal(form, PermissionDenied())
    assert form.errors == {}


def test_without_a_refusal_the_block_runs_to_its_end():
    form = _form()
    ran = []
    with refusal_shown_on(form):
        ran.append("service")
        ran.append("redirect")
    assert ran == ["service", "redirect"] and form.errors == {}
