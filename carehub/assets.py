"""The icon browsers ask for at the site's root (/favicon.ico), from the static files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico before any page names its icon: send them to the
    static file (served locally, with a long cache by whitenoise)."""
    return HttpResponseRedirect(static("favicon.ico"))
