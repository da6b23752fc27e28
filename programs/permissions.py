"""Access to one enrolment or attendance session: 404 outside the user's teams, 403
without the permission."""

from __future__ import annotations

from accounts.models import User
from patients.permissions import access_record
from programs.models import Enrolment, Session
from programs.selectors import enrolments_visible_to, sessions_visible_to


def access_enrolment(user: User, pk: int, *, perm: str = "programs.view_enrolment") -> Enrolment:
    queryset = enrolments_visible_to(user).select_related("patient", "program", "case_manager")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda e: e.patient_id)


def access_session(user: User, pk: int, *, perm: str = "programs.view_session") -> Session:
    queryset = sessions_visible_to(user).select_related("enrolment")
    return access_record(user, queryset, pk, perm=perm, patient_id=lambda s: s.enrolment.patient_id)
