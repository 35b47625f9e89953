"""The per-request reads of a logged-in page: the session row and the user (with the unread count) come from
statements compiled once (accounts/sessions.py, accounts/backends.py). Same answers as Django's own."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.backends import user_for_session
from accounts.models import Notification
from accounts.services import notification_mark_read
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _notes(user, unread: int, read: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(unread + read):
        Notification.objects.create(user=user, kind="test", title=f"n{i}",
                                    read_at=timezone.now() if i >= unread else None)


def test_the_nav_badge_counts_unread_notifications_without_a_query_of_its_own(client):
    patient, other = PatientFactory(), PatientFactory()
    _notes(patient, unread=2, read=1)
    _notes(other, unread=4, read=0)
    client.force_login(patient)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="unread-count">2<') == 1
    notification_table = Notification._meta.db_table
    counting = [q["sql"] for q in queries if notification_table in q["sql"]]
    # The only statement touching notifications is the user's own read (the count is its subquery).
    assert len(counting) == 1, counting
    assert "accounts_user" in counting[0]


def test_user_for_session_matches_the_orm_and_marks_read_drop_the_stale_count():
    patient = PatientFactory()
    user = user_for_session(patient.pk)
    assert (user.pk, user.email, user.role, user.unread_notifications_count) == (
        patient.pk, patient.email, patient.role, 0)
    _notes(patient, unread=3, read=0)
    user = user_for_session(patient.pk)
    assert user.unread_notifications_count == 3
    notification_mark_read(user=user)
    assert not hasattr(user, "unread_notifications_count")
    assert user_for_session(patient.pk).unread_notifications_count == 0
    assert user_for_session(10**9) is None


def test_an_expired_or_unknown_session_is_anonymous(client):
    patient = PatientFactory()
    client.force_login(patient)
    assert client.get(reverse("profile")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    client.cookies["sessionid"] = "x" * 32
    assert client.get(reverse("profile")).status_code == 302


def test_an_inactive_user_is_logged_out():
    from accounts.backends import ModelBackend

    patient = PatientFactory()
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    assert ModelBackend().get_user(patient.pk) is None
