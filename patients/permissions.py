"""Access to a single patient. "Not yours" and "does not exist" are the same 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from audit import context as audit_context
from patients.models import Patient
from patients.selectors import patients_visible_to

M = TypeVar("M", bound=Model)


def access_record(
    user: User, queryset: QuerySet[M], pk: int, *, perm: str, patient_id: Callable[[M], int]
) -> M:
    """One record hanging off a patient (care plan, referral ...), loaded from a queryset
    already limited to the user's scope: 404 outside it, 403 without ``perm``. The
    patient and the record are noted for the request's audit row."""
    record = get_object_or_404(queryset, pk=pk)
    audit_context.note_patient(patient_id(record))
    audit_context.note_object(record)
    if not user.has_perm(perm):
        raise PermissionDenied
    return record


def access_patient(user: User, pk: int, *, perm: str = "patients.view_patient") -> Patient:
    """The patient ``pk`` if the user may see it (else 404) and holds ``perm`` (else 403)."""
    patient = get_object_or_404(patients_visible_to(user).with_team_and_staff(), pk=pk)
    audit_context.note_patient(patient.pk)
    if not user.has_perm(perm):
        raise PermissionDenied
    return patient
