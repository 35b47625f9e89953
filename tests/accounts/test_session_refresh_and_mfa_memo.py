"""Sliding session expiry without a write per request; the staff MFA check remembered per session."""
from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import middleware
from tests.factories import DoctorFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db


def _expiry(client) -> object:  # type: ignore[no-untyped-def]
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_session_expiry_slides_at_most_once_a_refresh_period(client, monkeypatch, settings):
    settings.SESSION_REFRESH_SECONDS = 60
    clock = [1_000_000.0]
    monkeypatch.setattr(middleware.time, "time", lambda: clock[0])
    client.force_login(PatientFactory())
    assert client.get(reverse("dashboard")).status_code == 200
    first = _expiry(client)
    clock[0] += 30
    assert client.get(reverse("dashboard")).status_code == 200
    assert _expiry(client) == first          # 30 s later: no write
    clock[0] += 31
    assert client.get(reverse("dashboard")).status_code == 200
    assert _expiry(client) > first           # 61 s after the refresh: expiry pushed forward


def test_anonymous_requests_create_no_session(client):
    assert client.get(reverse("account_login")).status_code == 200
    assert Session.objects.count() == 0


def test_staff_mfa_check_is_remembered_by_the_session_and_forgotten_when_totp_is_removed(client, settings):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.signals import authenticator_removed

    settings.REQUIRE_STAFF_MFA = True
    doctor = DoctorFactory()
    give_totp(doctor)
    client.force_login(doctor)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.session[middleware.MFA_CHECKED] == doctor.pk
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    assert not [q for q in queries.captured_queries if "mfa_authenticator" in q["sql"]]

    authenticator = Authenticator.objects.get(user=doctor, type=Authenticator.Type.TOTP)
    request = type("R", (), {"session": client.session})()
    authenticator_removed.send(sender=Authenticator, request=request, user=doctor, authenticator=authenticator)
    request.session.save()
    authenticator.delete()
    assert middleware.MFA_CHECKED not in client.session
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
