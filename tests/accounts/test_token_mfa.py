"""Staff API tokens follow the staff MFA rule (the middleware only sees session users)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import AuditEvent
from tests.factories import DoctorFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db


def _get_me(api_client, user):  # type: ignore[no-untyped-def]
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client.get(reverse("api-me"))


def test_a_staff_token_is_refused_and_audited_while_the_person_has_no_totp(api_client, settings):
    settings.REQUIRE_STAFF_MFA = True
    doctor = DoctorFactory()
    response = _get_me(api_client, doctor)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(actor=doctor, action="denied", object_type="api_token").count() == 1


def test_a_staff_token_works_with_totp_and_a_patient_token_needs_none(api_client, settings):
    settings.REQUIRE_STAFF_MFA = True
    doctor = DoctorFactory()
    give_totp(doctor)
    assert _get_me(api_client, doctor).json()["email"] == doctor.email
    patient = PatientFactory()
    assert _get_me(api_client, patient).json()["email"] == patient.email


def test_an_unknown_token_or_an_inactive_user_is_refused(api_client):
    # 403 rather than 401: session authentication comes first in DRF's list, and it sends no challenge.
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = api_client.get(reverse("api-me"))
    assert (response.status_code, response.json()["detail"]) == (403, "Invalid token.")
    patient = PatientFactory()
    token = Token.objects.create(user=patient)
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get(reverse("api-me"))
    assert (response.status_code, response.json()["detail"]) == (403, "User inactive or deleted.")


def test_a_patients_token_authenticates_with_drfs_own_lookup(api_client):
    patient = PatientFactory()
    token = Token.objects.create(user=patient)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get(reverse("api-me"))
    assert (response.status_code, response.json()["id"]) == (200, patient.pk)
