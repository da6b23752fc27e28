"""Playwright on Debian's chromium against the live test server.

Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by
the test itself (fixtures, assertions) are synchronous and safe there.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
# Requests the policy is there to stop: the vendored ReDoc bundle always asks its CDN for
# a logo. Blocked, nothing leaves the browser, and the page works.
BLOCKED_ON_PURPOSE = ("https://cdn.redoc.ly/",)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# README's screenshots are refreshed on request only (`make screenshots`); otherwise a
# run writes them outside the repository, so the suite leaves the working tree as it was.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("CAREHUB_UPDATE_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "carehub-screenshots"
)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.DEBUG = True  # static files from the finders, as in `make run`
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Every page is checked for what the Content Security Policy blocked (an inline
    # handler, a script from elsewhere): the browser reports it on the console.
    violations: list[str] = []

    def note(message) -> None:
        text = message.text
        if "Content Security Policy" in text and not any(u in text for u in BLOCKED_ON_PURPOSE):
            violations.append(text)

    page.on("console", note)
    yield page
    context.close()
    assert violations == [], violations


@pytest.fixture
def sign_in(page):
    from tests.factories import TEST_PASSWORD

    def sign_in_as(user):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return sign_in_as
