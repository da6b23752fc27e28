"""Django admin edits behave as the same edits on the pages: they check and move a record's
version (carehub.admin_versions), so a save on a version that is no longer current is
refused and changes nothing and a saved admin edit makes a page edit opened before it
stale; they are followed by what follows the pages' edits (the patient's event,
reminders brought in line); and what the pages do not allow (registering a patient
without the duplicate check, moving a record to another patient) admin does not either."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from careplans.models import CarePlan, Goal, Task
from patients import services
from patients.models import Patient, PatientEvent, PatientEventKind
from patients.services import StaleEdit
from tests.careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from tests.factories import PatientFactory, RelatedPersonFactory

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The values a browser would submit from the page's change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or "name" not in attrs and tag in ("input", "select", "textarea"):
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            ticked = attrs.get("type") in ("checkbox", "radio")
            if ticked and "checked" not in attrs:
                return
            value = attrs.get("value", "on" if ticked else "")
            self.data.setdefault(attrs["name"], []).append(value)
        elif tag == "select":
            self._select = attrs["name"]
            self.data.setdefault(self._select, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data[self._textarea] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += (
                data.lstrip("\n") if not self.data[self._textarea][0] else data
            )

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def change_form(client, url: str) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    parser = _Form()
    parser.feed(page.content.decode())
    return {
        name: values if len(values) > 1 else (values or [""])[0]
        for name, values in parser.data.items()
    }


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_edit_moves_the_version_and_a_page_edit_opened_before_it_is_stale(
    admin_client_, admin_user, coordinator, patient
):
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    data = change_form(admin_client_, url)
    assert data["loaded_version"] == str(patient.version)
    opened_on_the_page = patient.version

    saved = admin_client_.post(url, {**data, "city": "Lowell"})
    assert saved.status_code == 302
    patient.refresh_from_db()
    assert (patient.city, patient.version) == ("Lowell", opened_on_the_page + 1)

    with pytest.raises(StaleEdit):
        services.patient_update(
            patient=patient,
            by=coordinator,
            data={"city": "Boston"},
            expected_version=opened_on_the_page,
        )
    patient.refresh_from_db()
    assert patient.city == "Lowell"


def test_an_admin_edit_on_a_stale_version_is_refused_and_changes_nothing(
    admin_client_, coordinator, patient
):
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    data = change_form(admin_client_, url)
    services.patient_update(
        patient=patient, by=coordinator, data={"city": "Boston"}, expected_version=patient.version
    )

    refused = admin_client_.post(url, {**data, "given_name": "Changed"})
    assert refused.status_code == 200
    assert "Someone else saved this patient after you opened it" in refused.content.decode()
    current = Patient.objects.get(pk=patient.pk)
    assert (current.city, current.given_name) == ("Boston", patient.given_name)
    assert current.version == patient.version + 1


def test_a_stale_goal_in_the_care_plans_admin_is_refused(admin_client_, coordinator, patient):
    plan = CarePlanFactory(patient=patient, author=coordinator)
    goal = GoalFactory(care_plan=plan)
    url = reverse("admin:careplans_careplan_change", args=[plan.pk])
    data = change_form(admin_client_, url)
    goal_fields = [
        name for name, value in data.items() if name.endswith("-id") and value == str(goal.pk)
    ]
    assert goal_fields, "the goal is inline on its plan"
    prefix = goal_fields[0].rsplit("-", 1)[0]
    assert data[f"{prefix}-loaded_version"] == str(goal.version)
    Goal.objects.filter(pk=goal.pk).update(version=goal.version + 1)  # saved on a page meanwhile

    refused = admin_client_.post(url, {**data, f"{prefix}-description": "Changed in admin"})
    assert refused.status_code == 200
    assert "Someone else saved this goal after you opened it" in refused.content.decode()
    assert Goal.objects.get(pk=goal.pk).description == goal.description


def test_an_admin_edit_records_the_event_and_brings_dependent_work_in_line(
    admin_client_, admin_user, patient
):
    from patients import hooks
    from patients.models import PatientEvent, PatientEventKind

    Patient.objects.filter(pk=patient.pk).update(consent_sms=True)
    synced = []
    hooks.register_patient_sync(synced.append)
    try:
        url = reverse("admin:patients_patient_change", args=[patient.pk])
        data = change_form(admin_client_, url)
        data.pop("consent_sms", None)  # the box unticked: SMS consent withdrawn
        assert admin_client_.post(url, data).status_code == 302
    finally:
        hooks._syncs.remove(synced.append)
    assert synced == [patient.pk]
    event = PatientEvent.objects.get(patient=patient, kind=PatientEventKind.UPDATED)
    assert event.actor == admin_user and "text messages" in event.to_value
    assert not Patient.objects.get(pk=patient.pk).consent_sms


def test_a_tasks_due_time_changed_in_admin_moves_its_reminders(admin_client_, coordinator, patient):
    import datetime

    from django.utils import timezone

    from careplans import services as careplan_services
    from careplans.models import Task
    from reminders.models import Reminder, ReminderKind

    task = careplan_services.task_create(
        patient=patient,
        by=coordinator,
        data={
            "description": "Call back",
            "due_at": timezone.now() + datetime.timedelta(days=2),
            "assignee": coordinator,
        },
    )

    def due_reminder():
        return Reminder.objects.about(task).pending().get(kind=ReminderKind.TASK_DUE)

    before = due_reminder()
    url = reverse("admin:careplans_task_change", args=[task.pk])
    data = change_form(admin_client_, url)
    later = timezone.localtime(task.due_at + datetime.timedelta(days=3))
    data |= {"due_at_0": later.date().isoformat(), "due_at_1": later.strftime("%H:%M:%S")}
    assert admin_client_.post(url, data).status_code == 302

    task = Task.objects.get(pk=task.pk)
    assert task.due_at > before.due_at + datetime.timedelta(days=2)
    moved = due_reminder()
    assert moved.pk == before.pk and moved.due_at == task.due_at


def test_patients_are_registered_on_the_pages_not_added_in_admin(admin_client_, team_a):
    """Admin's add would skip patient_register: the duplicate check and the event."""
    add = reverse("admin:patients_patient_add")
    assert admin_client_.get(add).status_code == 403
    posted = admin_client_.post(
        add, {"mrn": "A-1", "given_name": "Ana", "family_name": "Reyes", "care_team": team_a.pk}
    )
    assert posted.status_code == 403
    assert not Patient.objects.exists()
    assert admin_client_.get(reverse("patients:create")).status_code == 200


def test_contacts_changed_in_admin_record_the_patients_contacts_event(
    admin_client_, admin_user, patient
):
    def contacts_events() -> int:
        return PatientEvent.objects.filter(
            patient=patient, kind=PatientEventKind.UPDATED, actor=admin_user, to_value="Contacts"
        ).count()

    person = RelatedPersonFactory(patient=patient, notes="")
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    data = change_form(admin_client_, url)
    assert data["related_persons-0-id"] == str(person.pk)
    saved = admin_client_.post(url, {**data, "related_persons-0-notes": "Evenings"})
    assert saved.status_code == 302
    assert contacts_events() == 1

    url = reverse("admin:patients_relatedperson_change", args=[person.pk])
    data = change_form(admin_client_, url)
    assert "patient" not in data  # a contact stays with its patient
    other = PatientFactory(care_team=patient.care_team)
    saved = admin_client_.post(url, {**data, "notes": "Weekends", "patient": other.pk})
    assert saved.status_code == 302
    person.refresh_from_db()
    assert (person.notes, person.patient_id) == ("Weekends", patient.pk)
    assert contacts_events() == 2

    delete = reverse("admin:patients_relatedperson_delete", args=[person.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert not patient.related_persons.exists()
    assert contacts_events() == 3


def test_care_plans_goals_and_tasks_cannot_be_moved_to_another_patient_in_admin(
    admin_client_, coordinator, patient
):
    """Their tasks and reminders would stay with the first patient."""
    other = PatientFactory(care_team=patient.care_team)
    plan = CarePlanFactory(patient=patient, author=coordinator)
    other_plan = CarePlanFactory(patient=other, author=coordinator)
    goal = GoalFactory(care_plan=plan)
    task = TaskFactory(patient=patient, assignee=coordinator)
    for route, record, field, value in [
        ("admin:careplans_careplan_change", plan, "patient", other.pk),
        ("admin:careplans_goal_change", goal, "care_plan", other_plan.pk),
        ("admin:careplans_task_change", task, "patient", other.pk),
    ]:
        url = reverse(route, args=[record.pk])
        data = change_form(admin_client_, url)
        assert field not in data, route
        assert admin_client_.post(url, {**data, field: value}).status_code == 302, route
    assert CarePlan.objects.get(pk=plan.pk).patient_id == patient.pk
    assert Goal.objects.get(pk=goal.pk).care_plan_id == plan.pk
    assert Task.objects.get(pk=task.pk).patient_id == patient.pk
