"""/api/v1/notifications/ and /api/v1/reminders/: the user's own, read and mark read."""

import pytest

from reminders.models import ReminderState
from tests.reminders.factories import NotificationFactory, ReminderFactory

pytestmark = pytest.mark.django_db


def test_lists_only_my_notifications_and_filters_unread(api, coordinator, case_manager):
    mine = NotificationFactory(user=coordinator, title="Task #1 due")
    NotificationFactory(user=coordinator, title="Task #2 due", read=True)
    NotificationFactory(user=case_manager, title="Not mine")
    listed = api.get("/api/v1/notifications/").json()["results"]
    assert "Not mine" not in [n["title"] for n in listed]
    unread = api.get("/api/v1/notifications/", {"unread": "true"}).json()["results"]
    assert [n["id"] for n in unread] == [mine.pk]


def test_mark_one_read_then_all(api, coordinator):
    first, second = NotificationFactory(user=coordinator), NotificationFactory(user=coordinator)
    answer = api.post(f"/api/v1/notifications/{first.pk}/read/")
    assert answer.status_code == 200 and answer.json()["read_at"]
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    second.refresh_from_db()
    assert second.read_at is not None


def test_another_users_notification_does_not_exist(api, admin_api, case_manager):
    theirs = NotificationFactory(user=case_manager)
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert admin_api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_reminders_addressed_to_me_with_state_filter(api, coordinator, case_manager):
    sent = ReminderFactory(recipient_user=coordinator, state=ReminderState.SENT)
    waiting = ReminderFactory(recipient_user=coordinator)
    ReminderFactory(recipient_user=case_manager)
    listed = {r["id"] for r in api.get("/api/v1/reminders/").json()["results"]}
    assert listed == {sent.pk, waiting.pk}
    scheduled = api.get("/api/v1/reminders/", {"state": "scheduled"}).json()["results"]
    assert [r["id"] for r in scheduled] == [waiting.pk]
    assert api.post(f"/api/v1/reminders/{waiting.pk}/").status_code == 405
