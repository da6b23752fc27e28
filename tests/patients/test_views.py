"""Patient pages: list, search, filters, create with duplicate check, edit, status, scope."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from patients import searches
from patients.models import Patient, PatientStatus, RelatedPerson, RiskLevel
from tests.factories import PatientFactory, RelatedPersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def form_data(patient: Patient, **overrides) -> dict:
    data = {
        "mrn": patient.mrn,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_language": patient.preferred_language,
        "preferred_contact_method": patient.preferred_contact_method,
        "risk_level": patient.risk_level,
        "care_team": patient.care_team_id,
        "primary_coordinator": patient.primary_coordinator_id or "",
        "case_manager": patient.case_manager_id or "",
        "version": patient.version,
    }
    data.update(overrides)
    return data


def new_patient_data(team, coordinator, **overrides) -> dict:
    data = {
        "mrn": "REG-1",
        "given_name": "Amara",
        "family_name": "Okafor",
        "date_of_birth": "1961-02-03",
        "sex": "female",
        "phone": "413 555 0177",
        "email": "amara@example.org",
        "preferred_language": "en",
        "preferred_contact_method": "phone",
        "risk_level": "high",
        "care_team": team.pk,
        "primary_coordinator": coordinator.pk,
        "case_manager": "",
    }
    data.update(overrides)
    return data


# --- Scope: every patient page answers 404 outside the user's teams -----------------------

PATIENT_PAGES = [
    ("get", "patients:detail", {}),
    ("get", "patients:edit", {}),
    ("post", "patients:edit", {}),
    ("get", "patients:change_status", {}),
    ("post", "patients:change_status", {}),
    ("get", "patients:related_person_add", {}),
    ("post", "patients:related_person_add", {}),
    ("get", "patients:related_person_edit", {"person": True}),
    ("post", "patients:related_person_edit", {"person": True}),
    ("post", "patients:related_person_remove", {"person": True}),
]


@pytest.mark.parametrize(("method", "name", "extra"), PATIENT_PAGES)
def test_outsider_gets_404_on_every_patient_page(
    client, coordinator_b, patient, method, name, extra
):
    kwargs = {"pk": patient.pk}
    if extra.get("person"):
        kwargs["person_pk"] = RelatedPersonFactory(patient=patient).pk
    client.force_login(coordinator_b)
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 404
    assert Patient.objects.get(pk=patient.pk).version == 1


@pytest.mark.parametrize(("method", "name", "extra"), PATIENT_PAGES)
def test_member_of_the_team_gets_the_page(coordinator_client, patient, method, name, extra):
    kwargs = {"pk": patient.pk}
    if extra.get("person"):
        kwargs["person_pk"] = RelatedPersonFactory(patient=patient).pk
    response = getattr(coordinator_client, method)(reverse(name, kwargs=kwargs))
    assert response.status_code in (200, 302)


def test_anonymous_user_is_sent_to_sign_in(client, patient):
    url = reverse("patients:detail", args=[patient.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_missing_patient_is_404(coordinator_client):
    assert coordinator_client.get(reverse("patients:detail", args=[999999])).status_code == 404


def test_user_without_role_cannot_edit(client, team_a, patient):
    nobody = UserFactory(teams=[team_a])
    client.force_login(nobody)
    assert client.get(reverse("patients:edit", args=[patient.pk])).status_code == 403
    assert client.get(reverse("patients:create")).status_code == 403


def test_admin_sees_every_team(client, admin_user, patient, patient_b):
    client.force_login(admin_user)
    for p in (patient, patient_b):
        assert client.get(reverse("patients:detail", args=[p.pk])).status_code == 200


# --- List: scope, search, filters, sorting, pagination ---------------------------------------


def listed(response) -> list[int]:
    return [p.pk for p in response.context["page"].object_list]


def test_list_shows_only_my_teams(coordinator_client, patient, patient_b):
    response = coordinator_client.get(reverse("patients:list"))
    assert listed(response) == [patient.pk]


def test_search_by_name_and_mrn(coordinator_client, team_a):
    ana = PatientFactory(care_team=team_a, given_name="Ana", family_name="Lopez", mrn="A-100")
    PatientFactory(care_team=team_a, given_name="Ben", family_name="Smith", mrn="B-200")
    url = reverse("patients:list")
    assert listed(coordinator_client.get(url, {"q": "lop"})) == [ana.pk]
    assert listed(coordinator_client.get(url, {"q": "ana lopez"})) == [ana.pk]
    assert listed(coordinator_client.get(url, {"q": "a-100"})) == [ana.pk]
    assert listed(coordinator_client.get(url, {"q": "nobody"})) == []


def test_filters_status_risk_coordinator(coordinator_client, team_a, coordinator):
    high = PatientFactory(
        care_team=team_a, risk_level=RiskLevel.HIGH, primary_coordinator=coordinator
    )
    PatientFactory(care_team=team_a, risk_level=RiskLevel.LOW)
    gone = PatientFactory(care_team=team_a, status=PatientStatus.DISCHARGED)
    url = reverse("patients:list")
    assert listed(coordinator_client.get(url, {"risk_level": "high"})) == [high.pk]
    assert listed(coordinator_client.get(url, {"status": "discharged"})) == [gone.pk]
    assert listed(coordinator_client.get(url, {"primary_coordinator": coordinator.pk})) == [high.pk]


def test_filter_by_a_team_outside_scope_is_rejected(coordinator_client, team_b, patient_b):
    response = coordinator_client.get(reverse("patients:list"), {"care_team": team_b.pk})
    assert patient_b.pk not in listed(response)
    assert "care_team" in response.context["filter"].form.errors


def test_sorting_and_pagination(coordinator_client, team_a):
    for name in ["Zed", "Abe", "Kim"] + [f"N{i:02d}" for i in range(30)]:
        PatientFactory(care_team=team_a, family_name=name)
    url = reverse("patients:list")
    first = coordinator_client.get(url, {"sort": "name"})
    assert first.context["page"].object_list[0].family_name == "Abe"
    assert first.context["page"].paginator.num_pages == 2
    desc = coordinator_client.get(url, {"sort": "-name", "page": 1})
    assert desc.context["page"].object_list[0].family_name == "Zed"
    second = coordinator_client.get(url, {"sort": "name", "page": 2})
    assert len(second.context["page"].object_list) == 8
    assert "sort=name" in second.context["page_query"]


@pytest.mark.parametrize("rows", [3, 60])
def test_list_query_count_does_not_grow(
    coordinator_client, team_a, coordinator, rows, django_assert_max_num_queries
):
    PatientFactory.create_batch(rows, care_team=team_a, primary_coordinator=coordinator)
    # session, user, user's groups (admin check), count, user perms, group perms,
    # coordinator choices, team choices, one page of patients with team and staff joined,
    # the bell's unread count (reminders), the audit row.
    with django_assert_max_num_queries(11):
        coordinator_client.get(reverse("patients:list"))


def test_htmx_search_returns_the_results_partial(coordinator_client, patient):
    response = coordinator_client.get(
        reverse("patients:list"), {"q": patient.family_name}, HTTP_HX_REQUEST="true"
    )
    assert b"<form" not in response.content
    assert patient.family_name.encode() in response.content


def test_a_posted_search_keeps_the_name_out_of_every_url(coordinator_client, team_a, settings):
    settings.CAREHUB_PAGE_SIZE = 2
    for n in range(5):
        PatientFactory(care_team=team_a, given_name=f"Ana{n}", family_name="Zanderwick")
    url = reverse("patients:list")
    posted = coordinator_client.post(url, {"q": "zanderwick", "sort": "name"})
    assert posted.status_code == 302
    location = posted["Location"]
    assert location.startswith(f"{url}?search=") and "zanderwick" not in location.lower()
    page = coordinator_client.get(location)
    assert len(listed(page)) == 2 and page.context["page"].paginator.count == 5
    body = page.content.decode()
    # The term is in the form (the page's body), and page links name the search, not it.
    assert 'value="zanderwick"' in body
    links = re.findall(r'href="(\?[^"]*page=\d[^"]*)"', body)
    assert links and all("search=" in link and "zander" not in link.lower() for link in links)
    second = coordinator_client.get(f"{location}&page=2")
    assert [p.given_name for p in second.context["page"].object_list] == ["Ana2", "Ana3"]
    # The same search again: the same key.
    assert coordinator_client.post(url, {"q": "zanderwick", "sort": "name"})["Location"] == location


def test_an_htmx_search_pushes_an_address_without_the_name(coordinator_client, patient):
    response = coordinator_client.post(
        reverse("patients:list"), {"q": patient.family_name}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"<form" not in response.content
    assert patient.family_name.encode() in response.content
    pushed = response["HX-Push-Url"]
    assert pushed.startswith("/patients/?search=") and patient.family_name not in pushed


def test_filters_without_a_term_stay_in_the_query_string(coordinator_client, patient):
    posted = coordinator_client.post(reverse("patients:list"), {"status": "active"})
    assert posted["Location"] == f"{reverse('patients:list')}?status=active"


def test_a_search_no_longer_kept_says_so(coordinator_client, patient):
    url = reverse("patients:list")
    first = coordinator_client.post(url, {"q": "first"})["Location"]
    for n in range(searches.KEPT):
        coordinator_client.post(url, {"q": f"later {n}"})
    expired = coordinator_client.get(first)
    assert expired.status_code == 200
    assert "That search is no longer kept" in expired.content.decode()
    assert coordinator_client.get(f"{url}?search=made-up").context["search_expired"]


def test_a_search_key_is_the_users_own(coordinator_client, client, coordinator_b, patient):
    location = coordinator_client.post(reverse("patients:list"), {"q": patient.family_name})[
        "Location"
    ]
    client.force_login(coordinator_b)
    assert client.get(location).context["search_expired"]


# --- Create, with the duplicate check -------------------------------------------------------


def test_register_a_patient(coordinator_client, team_a, coordinator):
    response = coordinator_client.post(
        reverse("patients:create"), new_patient_data(team_a, coordinator)
    )
    patient = Patient.objects.get(mrn="REG-1")
    assert response.status_code == 302 and response["Location"] == reverse(
        "patients:detail", args=[patient.pk]
    )
    assert str(patient.phone) == "+14135550177"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"date_of_birth": (timezone.localdate() + datetime.timedelta(days=2)).isoformat()},
            "date_of_birth",
            "cannot be in the future",
        ),
        ({"email": "amara-at-example"}, "email", "valid email"),
        ({"phone": "12"}, "phone", "valid phone number"),
        ({"given_name": ""}, "given_name", "required"),
        ({"mrn": ""}, "mrn", "required"),
        ({"date_of_birth": "03/02/61x"}, "date_of_birth", "valid date"),
    ],
)
def test_every_registration_error_is_shown(
    coordinator_client, team_a, coordinator, overrides, field, message
):
    response = coordinator_client.post(
        reverse("patients:create"), new_patient_data(team_a, coordinator, **overrides)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message.encode() in response.content
    assert not Patient.objects.filter(mrn="REG-1").exists()


def test_duplicate_mrn_is_a_form_error(coordinator_client, team_a, coordinator, patient):
    response = coordinator_client.post(
        reverse("patients:create"), new_patient_data(team_a, coordinator, mrn=patient.mrn)
    )
    assert response.context["form"].errors["mrn"] == ["Another patient already has this MRN."]


def test_coordinator_of_another_team_is_refused(coordinator_client, team_a, coordinator_b):
    response = coordinator_client.post(
        reverse("patients:create"), new_patient_data(team_a, coordinator_b)
    )
    assert "primary_coordinator" in response.context["form"].errors


def test_team_outside_scope_cannot_be_chosen(coordinator_client, team_b, coordinator):
    response = coordinator_client.post(
        reverse("patients:create"), new_patient_data(team_b, coordinator)
    )
    assert "care_team" in response.context["form"].errors
    assert not Patient.objects.filter(mrn="REG-1").exists()


def test_possible_duplicate_is_held_back_until_confirmed(coordinator_client, team_a, coordinator):
    existing = PatientFactory(
        care_team=team_a,
        given_name="Amara",
        family_name="Okafor",
        date_of_birth=datetime.date(1961, 2, 3),
    )
    data = new_patient_data(team_a, coordinator, phone="", email="")
    response = coordinator_client.post(reverse("patients:create"), data)
    assert response.status_code == 200
    assert response.context["duplicates"].matches == [existing]
    assert reverse("patients:detail", args=[existing.pk]).encode() in response.content
    assert not Patient.objects.filter(mrn="REG-1").exists()

    response = coordinator_client.post(
        reverse("patients:create"), {**data, "confirm_not_duplicate": "on"}
    )
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="REG-1").exists()


# --- Edit with optimistic locking, status changes, contacts -----------------------------------


def test_edit_saves_changes(coordinator_client, patient):
    response = coordinator_client.post(
        reverse("patients:edit", args=[patient.pk]), form_data(patient, city="Lowell")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.city == "Lowell" and patient.version == 2


def staff_options(response, field: str) -> set[int]:
    return {user.pk for user in response.context["form"].fields[field].queryset}


def test_edit_offers_the_staff_of_the_patients_team_then_of_the_team_chosen(
    client, team_a, team_b, coordinator, coordinator_b, patient
):
    both = UserFactory(role=Role.COORDINATOR, teams=[team_a, team_b])
    client.force_login(both)
    url = reverse("patients:edit", args=[patient.pk])
    page = client.get(url)
    for field in ("primary_coordinator", "case_manager"):
        assert coordinator.pk in staff_options(page, field)
        assert coordinator_b.pk not in staff_options(page, field)
    # A move to team B with team A's coordinator: refused, nothing saved, and the form
    # now offers team B's staff.
    moved = client.post(url, form_data(patient, care_team=team_b.pk))
    assert "primary_coordinator" in moved.context["form"].errors
    assert coordinator_b.pk in staff_options(moved, "primary_coordinator")
    assert coordinator.pk not in staff_options(moved, "primary_coordinator")
    patient.refresh_from_db()
    assert patient.care_team_id == team_a.pk
    saved = client.post(
        url,
        form_data(
            patient, care_team=team_b.pk, primary_coordinator=coordinator_b.pk, case_manager=""
        ),
    )
    assert saved.status_code == 302, saved.context["form"].errors
    patient.refresh_from_db()
    assert (patient.care_team_id, patient.primary_coordinator_id) == (team_b.pk, coordinator_b.pk)


def test_a_new_patient_before_a_team_is_chosen_offers_every_teams_staff(
    client, team_a, team_b, coordinator, coordinator_b
):
    both = UserFactory(role=Role.COORDINATOR, teams=[team_a, team_b])
    client.force_login(both)
    page = client.get(reverse("patients:create"))
    assert {coordinator.pk, coordinator_b.pk, both.pk} <= staff_options(page, "primary_coordinator")


def test_stale_edit_is_refused_with_a_message(coordinator_client, patient):
    stale = form_data(patient, city="Boston")
    coordinator_client.post(
        reverse("patients:edit", args=[patient.pk]), form_data(patient, city="Lowell")
    )
    response = coordinator_client.post(reverse("patients:edit", args=[patient.pk]), stale)
    assert response.status_code == 200
    assert b"Someone else saved this patient after you opened it" in response.content
    patient.refresh_from_db()
    assert patient.city == "Lowell"


def test_discharge_with_reason(coordinator_client, patient):
    url = reverse("patients:change_status", args=[patient.pk])
    response = coordinator_client.post(url, {"status": "discharged", "reason": "", "version": 1})
    assert b"A reason is required" in response.content
    response = coordinator_client.post(
        url, {"status": "discharged", "reason": "Care completed", "version": 1}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == "discharged"
    detail = coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    assert b"Care completed" in detail.content


def test_invalid_status_move_shows_allowed_moves(coordinator_client, team_a):
    deceased = PatientFactory(care_team=team_a, status=PatientStatus.DECEASED)
    url = reverse("patients:change_status", args=[deceased.pk])
    response = coordinator_client.post(url, {"status": "active", "reason": "x", "version": 1})
    assert b"Cannot move from" in response.content
    deceased.refresh_from_db()
    assert deceased.status == PatientStatus.DECEASED


def test_add_and_remove_a_related_person(coordinator_client, patient):
    url = reverse("patients:related_person_add", args=[patient.pk])
    response = coordinator_client.post(
        url,
        {
            "name": "Luis Diaz",
            "relationship": "spouse",
            "is_emergency_contact": "on",
            "phone": "4135550123",
        },
    )
    assert response.status_code == 302
    person = RelatedPerson.objects.get(patient=patient)
    assert str(person.phone) == "+14135550123"
    coordinator_client.post(reverse("patients:related_person_remove", args=[patient.pk, person.pk]))
    assert not RelatedPerson.objects.exists()


def test_related_person_of_another_patient_is_404(coordinator_client, patient, team_a):
    other = RelatedPersonFactory(patient=PatientFactory(care_team=team_a))
    url = reverse("patients:related_person_edit", args=[patient.pk, other.pk])
    assert coordinator_client.get(url).status_code == 404


def test_detail_shows_demographics_team_and_consents(coordinator_client, patient, coordinator):
    response = coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    content = response.content.decode()
    assert patient.mrn in content and patient.given_name in content
    assert str(coordinator) in content
    assert "Consent to be contacted" in content


def test_case_manager_role_can_work_with_patients(client, case_manager, patient):
    client.force_login(case_manager)
    assert client.get(reverse("patients:edit", args=[patient.pk])).status_code == 200


def test_every_form_field_has_a_label(coordinator_client, patient):
    import re

    for url in [reverse("patients:create"), reverse("patients:edit", args=[patient.pk])]:
        html = coordinator_client.get(url).content.decode()
        fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
        visible = [f for f in fields if 'type="hidden"' not in f]
        ids = {re.search(r'\bid="([^"]+)"', f).group(1) for f in visible}
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        assert ids and ids <= labelled, ids - labelled


def test_role_fixture_sanity(coordinator):
    assert coordinator.has_role(Role.COORDINATOR)
