"""Swagger UI and ReDoc render in a real browser under the site's Content-Security-Policy,
from local files only (no CDN), with no policy violation reported."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page) -> tuple[list[str], list[str]]:
    violations, outside = [], []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on(
        "requestfinished",  # a request the policy refused never finishes
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(("http://localhost", "blob:", "data:"))
            else None
        ),
    )
    return violations, outside


def test_swagger_ui_renders_the_schema(page, sign_in, coordinator, live_server):
    sign_in(coordinator)
    violations, outside = watch(page)
    page.goto("/api/docs/")
    page.get_by_text("/api/v1/patients/", exact=True).first.wait_for()
    assert violations == [] and outside == []


def test_redoc_renders_the_schema(page, sign_in, coordinator, live_server):
    sign_in(coordinator)
    violations, outside = watch(page)
    page.goto("/api/docs/redoc/")
    # ReDoc lays out the whole schema (some 250 KB, 85 operations) before it shows any of
    # it: on a loaded two-core machine that takes longer than the 10 s default.
    page.get_by_text("CareHub API", exact=False).first.wait_for(timeout=30_000)
    page.locator("text=/api/v1/patients/").first.wait_for()
    # ReDoc's footer logo lives on its CDN: the policy refuses it, and nothing else.
    assert [v for v in violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in v] == []
    assert outside == []
