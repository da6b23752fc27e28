"""URL conf for `make bench` only (ROOT_URLCONF=bench.urls): CareHub's URLs plus the
bare view that measures the ceiling of the same gunicorn and middleware."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path


@login_not_required
def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), path("", include("carehub.urls"))]
