"""The OpenAPI schema and its two readers, Swagger UI and ReDoc, from local static files
(drf-spectacular-sidecar; no CDN).

Under the site's Content-Security-Policy (script-src 'self', no inline):
- Swagger UI: SpectacularSwaggerSplitView serves its start script as a file of its own
  (``?script``), and our template has no inline style; the policy is unchanged.
- ReDoc renders with styled-components, which writes <style> elements at run time, and
  builds its search worker from a blob: URL. The ReDoc page alone gets
  ``style-src 'unsafe-inline'`` and ``worker-src blob:``; scripts stay 'self' only. The page
  shows the schema, never patient data.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from api.throttling import ThrottleFirst

REDOC_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}


class SchemaView(ThrottleFirst, SpectacularAPIView):
    """GET /api/schema/: OpenAPI 3 (YAML, or JSON with ?format=json). Session or token."""

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))


class SignInFirst:
    """HTML pages: LoginRequiredMiddleware sends anonymous visitors to sign in (DRF marks
    its views login_not_required, which suits JSON, not a page)."""

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = True
        return view


class SwaggerView(SignInFirst, SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


class RedocView(SignInFirst, SpectacularRedocView):
    template_name = "api/redoc.html"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response._csp_update = REDOC_CSP  # django-csp's csp_update, for this page only
        return response
