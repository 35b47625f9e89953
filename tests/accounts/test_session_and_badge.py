"""Logged-in pages with standard Django: contrib sessions (cached_db with a shared cache), Django's and allauth's
back-ends, and the navigation badge's unread count from the cache, dropped when notifications change."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.context_processors import unread_cache_key
from accounts.models import Notification
from accounts.services import notification_mark_read, notify
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _badge(client) -> str:  # type: ignore[no-untyped-def]
    body = client.get(reverse("dashboard")).content.decode()
    marker = 'data-testid="unread-count">'
    return body.split(marker, 1)[1].split("<", 1)[0] if marker in body else "0"


def test_the_badge_is_counted_once_then_read_from_the_cache(client):
    cache.clear()
    patient = PatientFactory()
    for i in range(2):
        Notification.objects.create(user=patient, kind="test", title=f"n{i}")
    client.force_login(patient)
    assert _badge(client) == "2"
    with CaptureQueriesContext(connection) as queries:
        assert _badge(client) == "2"
    assert not [q["sql"] for q in queries if Notification._meta.db_table in q["sql"]]


def test_a_new_or_read_notification_drops_the_cached_count(client, django_capture_on_commit_callbacks):
    cache.clear()
    patient = PatientFactory()
    client.force_login(patient)
    assert _badge(client) == "0"
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=patient, kind="test", title="hello", email=False)
    assert cache.get(unread_cache_key(patient.pk)) is None
    assert _badge(client) == "1"
    notification_mark_read(user=patient)
    assert _badge(client) == "0"


def test_an_expired_or_unknown_session_is_anonymous(client):
    patient = PatientFactory()
    client.force_login(patient)
    assert client.get(reverse("profile")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    cache.clear()  # cached_db: the cache holds the session too; an expired row read again is refused
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    client.cookies["sessionid"] = "x" * 32
    assert client.get(reverse("profile")).status_code == 302


def test_an_inactive_user_is_logged_out(client):
    patient = PatientFactory()
    client.force_login(patient)
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    response = client.get(reverse("profile"))
    assert response.status_code == 302
