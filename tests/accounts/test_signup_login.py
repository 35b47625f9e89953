"""Sign-up input errors, log-in throttling and audit, session rotation."""
from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, OutboundEmail, User
from tests.factories import PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db


def _signup(client, email, p1, p2=None, lang="en"):
    return client.post(reverse("account_signup"), {"email": email, "password1": p1, "password2": p2 or p1},
                       HTTP_ACCEPT_LANGUAGE=lang)


def test_signup_creates_a_patient_and_sends_verification_mail(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "new.person@example.test", "a-Long-passphrase-42")
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.test")
    assert user.role == "patient"
    assert user.patient_profile is not None
    assert OutboundEmail.objects.filter(to=["new.person@example.test"], status="sent").count() == 1
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].body.lower()


@pytest.mark.parametrize(
    ("email", "password", "lang", "message"),
    [
        ("taken@example.test", "a-Long-passphrase-42", "en", "already registered"),
        ("fresh@example.test", "short", "en", "too short"),
        ("fresh@example.test", "password123", "en", "too common"),
        ("not-an-email", "a-Long-passphrase-42", "en", "valid email"),
        ("taken@example.test", "a-Long-passphrase-42", "zh-hans", "已经"),
        ("fresh@example.test", "short", "zh-hans", "密码"),
    ],
)
def test_bad_signup_shows_a_clear_message_and_creates_nothing(client, email, password, lang, message):
    PatientFactory(email="taken@example.test")
    users_before, mails_before = User.objects.count(), OutboundEmail.objects.count()
    response = _signup(client, email, password, lang=lang)
    assert response.status_code == 200
    assert message.lower() in response.content.decode().lower()
    assert User.objects.count() == users_before
    assert OutboundEmail.objects.count() == mails_before


def test_password_is_stored_hashed(client):
    _signup(client, "hash.me@example.test", "a-Long-passphrase-42")
    user = User.objects.get(email="hash.me@example.test")
    assert user.password != "a-Long-passphrase-42"
    assert user.check_password("a-Long-passphrase-42")


def test_login_success_is_audited_and_rotates_the_session(client):
    alice = PatientFactory()
    client.get(reverse("account_login"))
    before = client.cookies.get("sessionid")
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    after = client.cookies.get("sessionid")
    assert after is not None
    assert (before is None or before.value != after.value)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=alice).count() == 1


def test_ten_bad_logins_are_throttled_and_audited(client):
    alice = PatientFactory()
    responses = [
        client.post(reverse("account_login"), {"login": alice.email, "password": f"wrong-{i}"}) for i in range(10)
    ]
    bodies = [r.content.decode() for r in responses]
    # allauth's limit is 5 failures per 5 minutes per account: the 6th and later are refused outright
    assert all("too many failed login attempts" not in b.lower() for b in bodies[:5])
    assert all("too many failed login attempts" in b.lower() for b in bodies[5:])
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.count() == 10
    assert failed.filter(outcome="failed").count() == 5
    assert failed.filter(outcome="throttled").count() == 5
    # even the right password is refused while throttled
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=alice).exists()
