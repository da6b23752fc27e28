"""Error pages keep the layout and say what to do (issue 25, item 15); /favicon.ico is
served (it answered 404)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_error_pages(settings):
    # DEBUG shows Django's technical pages instead of the project's templates.
    settings.DEBUG = False


def test_a_page_the_role_may_not_open_keeps_the_navigation_and_says_what_to_do(
    coordinator_client,
):
    response = coordinator_client.get(reverse("dashboards:caseload"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not open this page" in page and "ask an administrator" in page
    assert reverse("dashboards:my_day") in page  # the navigation is there
    assert 'href="/"' in page


def test_a_missing_page_keeps_the_layout(coordinator_client):
    response = coordinator_client.get("/patients/987654/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "care team you are not a member of" in page
    assert reverse("patients:list") in page


def test_the_server_error_page_needs_nothing_from_the_request(rf):
    response = defaults.server_error(rf.get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "What you saved before is safe" in page


def test_an_expired_form_says_nothing_was_saved(coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired" in page and "Nothing was saved" in page


def test_the_favicon_is_served_from_the_static_files(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.ico")
    path = finders.find("favicon.ico")
    with open(path, "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file
    assert client.get(reverse("accounts:login")).content.count(b'rel="icon"') == 2
