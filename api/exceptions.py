"""How the domain's refusals read in the API.

- a move the state machine does not allow (InvalidTransition): 409, with the current
  state and the allowed ones;
- a stale write (StaleEdit: the version sent is not the current one): 412;
- a possible duplicate patient or an open referral to the same service: 409, with ids;
- a broken rule or invalid value from a service (Django's ValidationError): 400 with field
  errors, ``non_field_errors`` for the rest;
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default): 413;
- anything else (a defect): 500, still JSON; the log names the exception's class and the
  view, never its message (a database error's message quotes the row's values).

Services are atomic: whichever of these is raised, nothing was written.
"""

from __future__ import annotations

import logging

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from carehub.transitions import InvalidTransition, StaleEdit
from patients.services import PossibleDuplicate
from referrals.services import DuplicateReferral

logger = logging.getLogger(__name__)

SERVER_ERROR = {"detail": "Server error.", "code": "server_error"}


class PreconditionFailed(StaleEdit):
    """An If-Match header that names no version CareHub issued."""


def validation_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if name == NON_FIELD_ERRORS else name): [
                str(message) for message in messages
            ]
            for name, messages in error.message_dict.items()
        }
    return {"non_field_errors": [str(message) for message in error.messages]}


def api_exception_handler(exc, context):
    if isinstance(exc, InvalidTransition):
        return Response(
            {
                "detail": str(exc),
                "code": "invalid_transition",
                "current": exc.current,
                "target": exc.target,
                "allowed": exc.allowed,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, StaleEdit):
        return Response(
            {"detail": str(exc), "code": "stale"}, status=status.HTTP_412_PRECONDITION_FAILED
        )
    if isinstance(exc, PossibleDuplicate):
        return Response(
            {
                "detail": str(exc),
                "code": "possible_duplicate",
                "matches": [patient.pk for patient in exc.matches],
                "hidden_count": exc.hidden_count,
                "hint": _("Check the matches; send confirm_not_duplicate=true to register."),
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DuplicateReferral):
        return Response(
            {"detail": str(exc), "code": "duplicate_referral", "existing": exc.existing.pk},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        return Response(validation_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        # Django's bound on a body (DATA_UPLOAD_MAX_MEMORY_SIZE), said in the API's terms
        # rather than as the HTML "Bad Request" page.
        return Response(
            {"detail": _("The request body is too large."), "code": "body_too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not one of the refusals: a defect. Answer in the API's own form (Django's would be
        # the HTML 500 page) and undo what the request wrote.
        set_rollback()
        view = context.get("view")
        logger.error(
            "API server error: %s in %s",
            type(exc).__name__,
            type(view).__name__ if view is not None else "?",
        )
        return Response(dict(SERVER_ERROR), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return response
