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
