from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """Flags for the navigation bar, so templates never check roles themselves."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "can_open_admin": user.is_staff,
            "can_view_caseload": user.has_perm("accounts.view_caseload"),
            "can_view_tasks": user.has_perm("careplans.view_task"),
            "can_view_casework": user.has_perm("benefits.view_casework"),
            "can_view_my_day": user.has_perm("careplans.view_task"),
        }
    }
