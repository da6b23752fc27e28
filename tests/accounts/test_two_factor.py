"""Two-factor sign-in: required for admins and case managers, optional for coordinators."""

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_two_factor(settings):
    settings.CAREHUB_DEMO = False
    # Flows below try a wrong code first; throttling itself is tested on its own.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def current_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """A code of the current step, or a later one: a code once used is refused (replay)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, user):
    return client.post(
        reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD}
    )


def test_case_manager_must_enrol_before_seeing_anything(client, case_manager, patient):
    sign_in(client, case_manager)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))

    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200 and b"data:image/svg+xml;base64," in page.content
    device = TOTPDevice.objects.get(user=case_manager, confirmed=False)

    wrong = client.post(
        reverse("accounts:two_factor_setup"),
        {"token": "000000" if current_code(device) != "000000" else "111111"},
    )
    assert b"That code is not right" in wrong.content
    done = client.post(reverse("accounts:two_factor_setup"), {"token": current_code(device)})
    assert done.status_code == 200 and len(done.context["codes"]) == two_factor.RECOVERY_CODE_COUNT
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


def test_admin_must_enrol_too(client, admin_user):
    sign_in(client, admin_user)
    response = client.get(reverse("admin:index"))
    assert (
        response.status_code == 302 and reverse("accounts:two_factor_setup") in response["Location"]
    )


def test_coordinator_may_sign_in_without_a_second_factor(client, coordinator):
    sign_in(client, coordinator)
    assert client.get(reverse("patients:list")).status_code == 200


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = two_factor.pending_device(user)
    codes = two_factor.enrol_confirm(user=user, device=device, token=current_code(device))
    return device, codes


def test_enrolled_user_needs_a_code_after_the_password(client, coordinator):
    device, _codes = enrol(coordinator)
    sign_in(client, coordinator)
    response = client.get(reverse("patients:list"))
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    refused = client.post(reverse("accounts:two_factor_verify"), {"token": "12345678"})
    assert b"That code is not right" in refused.content
    assert client.get(reverse("patients:list")).status_code == 302
    accepted = client.post(
        reverse("accounts:two_factor_verify") + "?next=/patients/",
        {"token": current_code(device, steps_ahead=1)},
    )
    assert accepted.status_code == 302 and accepted["Location"] == "/patients/"
    assert client.get(reverse("patients:list")).status_code == 200


def test_a_password_alone_cannot_replace_the_authenticator(client, case_manager, patient):
    """Enrolment is open before the second step (for users without an authenticator):
    a user who has one must pass the second step before setting up another."""
    device, _codes = enrol(case_manager)
    sign_in(client, case_manager)  # the password only: say, someone who learnt it
    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert not TOTPDevice.objects.filter(user=case_manager, confirmed=False).exists()
    # Nor by posting a code of an authenticator of their own making.
    rogue = TOTPDevice.objects.create(user=case_manager, name="rogue", confirmed=False)
    posted = client.post(reverse("accounts:two_factor_setup"), {"token": current_code(rogue)})
    assert posted.status_code == 302
    assert list(TOTPDevice.objects.filter(user=case_manager, confirmed=True)) == [device]
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 302
    # After the second step, the user may replace it (a new phone).
    client.post(
        reverse("accounts:two_factor_verify"), {"token": current_code(device, steps_ahead=1)}
    )
    assert client.get(reverse("accounts:two_factor_setup")).status_code == 200


def test_a_recovery_code_works_once(client, coordinator):
    _device, codes = enrol(coordinator)
    sign_in(client, coordinator)
    assert (
        client.post(reverse("accounts:two_factor_verify"), {"token": codes[0]}).status_code == 302
    )
    client.post(reverse("accounts:logout"))
    sign_in(client, coordinator)
    again = client.post(reverse("accounts:two_factor_verify"), {"token": codes[0]})
    assert again.status_code == 200 and b"That code is not right" in again.content
    assert two_factor.recovery_codes_left(coordinator) == two_factor.RECOVERY_CODE_COUNT - 1


def test_verify_does_not_redirect_off_site(client, coordinator):
    device, _codes = enrol(coordinator)
    sign_in(client, coordinator)
    response = client.post(
        reverse("accounts:two_factor_verify") + "?next=https://evil.example/",
        {"token": current_code(device, steps_ahead=1)},
    )
    assert response["Location"] == reverse("home")


def test_demo_mode_lets_demo_users_skip_enrolment(client, settings, case_manager):
    settings.CAREHUB_DEMO = True
    sign_in(client, case_manager)
    assert client.get(reverse("patients:list")).status_code == 200


def test_wrong_codes_slow_down_further_attempts(client, settings, coordinator):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device, _codes = enrol(coordinator)
    sign_in(client, coordinator)
    client.post(reverse("accounts:two_factor_verify"), {"token": "000001"})
    client.post(reverse("accounts:two_factor_verify"), {"token": "000002"})
    # Even the right code is refused while the throttle holds.
    refused = client.post(
        reverse("accounts:two_factor_verify"), {"token": current_code(device, steps_ahead=1)}
    )
    assert refused.status_code == 200
    assert client.get(reverse("patients:list")).status_code == 302
