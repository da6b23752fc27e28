"""Access to one encounter: 404 outside the user's teams, 403 without the permission."""

from __future__ import annotations

from accounts.models import User
from encounters.models import Encounter
from encounters.selectors import encounters_visible_to
from patients.permissions import access_record


def access_encounter(user: User, pk: int, *, perm: str = "encounters.view_encounter") -> Encounter:
    queryset = encounters_visible_to(user).select_related("patient")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda e: e.patient_id)
