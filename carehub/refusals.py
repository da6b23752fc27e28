"""A service's refusal, shown on the form that asked for it.

A page calls one service per POST. What the service refuses (invalid data, an edit of a
record someone else saved first, a move the state machine does not allow) has changed
nothing; the page shows why on the form and renders it again::

    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.coverage_create(patient=patient, by=request.user, data=form.cleaned_data)
            messages.success(request, _("Coverage added."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "casework/form.html", {"form": form})

The block stops at the refusal, so nothing after the service call runs: no success
message, no redirect. Any other exception propagates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.core.exceptions import ValidationError

from carehub.transitions import InvalidTransition, StaleEdit


@contextmanager
def refusal_shown_on(form: forms.BaseForm) -> Iterator[None]:
    """Turn a refusal raised in the block into an error on ``form``.

    A ValidationError keeps its shape: errors naming a field of the form go to that
    field, the rest (a field this form does not show included) to the top of the form. A
    stale edit or a refused move is shown by its message at the top. Refusals that carry
    more (a duplicate to link to) are the page's own to catch.
    """
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    except (InvalidTransition, StaleEdit) as refused:
        form.add_error(None, str(refused))
