"""Run inside Django (python bench/setup.py ...) by bench/run.py: sessions for the
benchmark users, and the queries each page runs. Prints one JSON object."""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.middleware import LAST_SEEN, SIGNED_IN_AT, TWO_FACTOR_ENROLLED  # noqa: E402
from accounts.models import User  # noqa: E402

# The pages measured: (name, user, url name, kwargs builder or None, query string).
PAGES = [
    ("patient list", "coord", "patients:list", None, ""),
    ("patient search (team)", "coord", "patients:list", None, "q=garc"),
    ("patient search (all teams)", "admin", "patients:list", None, "q=hernand"),
    ("patient search by MRN", "admin", "patients:list", None, "q=MRN00050001"),
    ("patient page", "coord", "patients:detail", "patient", ""),
    ("my tasks", "coord", "careplans:my_tasks", None, ""),
    ("referrals list", "coord", "referrals:list", None, ""),
    ("coordinator: my day", "coord", "dashboards:my_day", None, ""),
    ("case manager: caseload review", "manager", "dashboards:caseload", None, ""),
    ("API patients (cursor)", "coord", "api:patient-list", None, ""),
    ("API referrals (cursor)", "coord", "api:referral-list", None, ""),
]


def session_for(user: User) -> str:
    """A signed-in session, two-factor verified, as the sign-in flow would leave it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.RoleBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    now = int(time.time())
    store[SIGNED_IN_AT] = now
    store[LAST_SEEN] = now
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    store["otp_device_id"] = device.persistent_id
    store[TWO_FACTOR_ENROLLED] = True
    store.create()
    # A browser that has loaded a page holds the CSRF cookie too.
    return (
        f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
    )


def url_for(url_name: str, kwargs_from: str | None, user: User, query: str) -> str | None:
    from patients.selectors import patients_visible_to

    kwargs = {}
    if kwargs_from == "patient":
        kwargs["pk"] = patients_visible_to(user).order_by("pk").values_list("pk", flat=True).first()
    try:
        path = reverse(url_name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None  # this build has no such page yet
    return path + (f"?{query}" if query else "")


def main() -> None:
    users = {u.username: u for u in User.objects.filter(username__in=["coord", "manager", "admin"])}
    cookies = {name: session_for(user) for name, user in users.items()}
    pages = []
    for label, username, url_name, kwargs_from, query in PAGES:
        user = users[username]
        url = url_for(url_name, kwargs_from, user, query)
        if url is None:
            continue
        client = Client(HTTP_HOST="127.0.0.1", **{"wsgi.url_scheme": "https"})
        client.force_login(user)
        session = client.session
        session[SIGNED_IN_AT] = session[LAST_SEEN] = int(time.time())
        session["otp_device_id"] = TOTPDevice.objects.get(user=user, name="bench").persistent_id
        session.save()
        client.get(url, secure=True)  # warm caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, secure=True)
        pages.append(
            {
                "label": label,
                "user": username,
                "url": url,
                "status": response.status_code,
                "queries": len(queries),
            }
        )
    json.dump({"cookies": cookies, "pages": pages}, sys.stdout)


if __name__ == "__main__":
    main()
