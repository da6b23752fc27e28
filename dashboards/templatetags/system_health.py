"""The admin index's health panel (templates/admin/index.html)."""

from __future__ import annotations

from django import template

from carehub import health

register = template.Library()


@register.inclusion_tag("admin/includes/_system_health.html", takes_context=True)
def system_health(context) -> dict:
    """Reads carehub.health's registry; shown to admins only (the admin index is theirs)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_admin:
        return {"lines": []}
    return {"lines": health.system_status()}
