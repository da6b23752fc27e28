from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """Pages and API answers for a signed-in user may carry PHI: never cached anywhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


NULL_CHARACTER = "\x00"


class RefuseNullCharactersMiddleware:
    """A query parameter (name or value) holding a NUL character is answered 400 before
    any view runs: PostgreSQL cannot store or compare such a string, so a search or filter
    passing it on failed with a 500. JSON with the parameter's error under /api/, an
    OperationOutcome under /fhir/, the 400 page elsewhere. (Form fields and DRF's
    serializer fields refuse NUL characters themselves.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        names = [
            name
            for name, values in request.GET.lists()
            if NULL_CHARACTER in name or any(NULL_CHARACTER in value for value in values)
        ]
        if names:
            return _null_refused(request, names)
        return self.get_response(request)


def _null_refused(request: HttpRequest, names: list[str]) -> HttpResponse:
    from django.http import JsonResponse
    from django.views import defaults

    message = "Null characters are not allowed."
    shown = [name.replace(NULL_CHARACTER, "\\x00") for name in names]
    if request.path.startswith("/fhir/"):
        return JsonResponse(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "invalid", "diagnostics": f"{name}: {message}"}
                    for name in shown
                ],
            },
            status=400,
            content_type="application/fhir+json",
        )
    if request.path.startswith("/api/"):
        return JsonResponse({name: [message] for name in shown}, status=400)
    return defaults.bad_request(request, exception=None)
