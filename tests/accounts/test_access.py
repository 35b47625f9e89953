"""Who may see what: patients only their own, staff pages refused, anonymous API refused; each denial audited."""
from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent
from tests.factories import AdminFactory, DoctorFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db


def test_patient_cannot_open_another_patients_profile(client):
    # given two patients
    alice, bob = PatientFactory(), PatientFactory()
    client.force_login(alice)
    before = AuditEvent.objects.filter(action=AuditAction.DENIED).count()
    # when alice opens bob's profile
    response = client.get(reverse("user_profile", args=[bob.pk]))
    # then she gets a 404 that does not reveal bob exists, and the attempt is audited
    assert response.status_code == 404
    assert bob.email not in response.content.decode()
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED).order_by("-seq")
    assert denied.count() == before + 1
    event = denied.first()
    assert event.actor_id == alice.pk
    assert event.subject_id == bob.pk
    assert event.object_type == "profile"


def test_patient_can_open_own_profile_and_the_read_is_audited(client):
    alice = PatientFactory()
    client.force_login(alice)
    response = client.get(reverse("user_profile", args=[alice.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor_id, event.subject_id) == (AuditAction.READ, alice.pk, alice.pk)


def test_patient_cannot_open_a_staff_page(client):
    alice = PatientFactory()
    client.force_login(alice)
    response = client.get(reverse("audit_log"))
    assert response.status_code == 403
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == AuditAction.DENIED
    assert event.actor_id == alice.pk
    assert event.object_id == reverse("audit_log")


def test_admin_with_mfa_reads_the_audit_log(client):
    admin = AdminFactory()
    give_totp(admin)
    client.force_login(admin)
    response = client.get(reverse("audit_log") + "?verify=1")
    assert response.status_code == 200
    assert "Chain intact" in response.content.decode()


@pytest.mark.parametrize("url_name", ["api-me", "api-notifications", "api-access-log", "api-consents", "api-family"])
def test_anonymous_api_calls_are_refused(api_client, url_name):
    PatientFactory()
    response = api_client.get(reverse(url_name))
    assert response.status_code in (401, 403)
    assert "email" not in response.content.decode()


def test_token_authenticated_api_me(api_client):
    from rest_framework.authtoken.models import Token

    alice = PatientFactory()
    token = Token.objects.create(user=alice)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get(reverse("api-me"))
    assert response.status_code == 200
    assert response.json()["email"] == alice.email
    assert response.json()["role"] == "patient"


def test_staff_without_mfa_is_sent_to_mfa_setup(client, settings):
    settings.REQUIRE_STAFF_MFA = True
    doctor = DoctorFactory()
    client.force_login(doctor)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_without_mfa_gets_403_from_the_api(api_client, settings):
    settings.REQUIRE_STAFF_MFA = True
    doctor = DoctorFactory()
    api_client.force_authenticate(doctor)
    api_client.force_login(doctor)
    response = api_client.get(reverse("api-me"))
    assert response.status_code == 403


def test_staff_with_mfa_reaches_the_dashboard(client, settings):
    settings.REQUIRE_STAFF_MFA = True
    doctor = DoctorFactory()
    give_totp(doctor)
    client.force_login(doctor)
    assert client.get(reverse("dashboard")).status_code == 200


def test_mfa_not_required_when_switched_off(client, settings):
    settings.REQUIRE_STAFF_MFA = False
    doctor = DoctorFactory()
    client.force_login(doctor)
    assert client.get(reverse("dashboard")).status_code == 200


def test_patient_is_never_asked_for_mfa(client, settings):
    settings.REQUIRE_STAFF_MFA = True
    client.force_login(PatientFactory())
    assert client.get(reverse("dashboard")).status_code == 200
