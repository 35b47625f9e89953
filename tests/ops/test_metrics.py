"""/metrics: django-prometheus's request figures and the platform's own, read from the database at scrape time."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from consult.models import AppointmentReminder, AppointmentStatus, ConsultationMessage, ConsultationThread
from operations.metrics import PLATFORM
from pharmacy.models import Order, OrderStatus
from portraits.models import Run, RunStatus
from rarecases.models import OutboxMessage
from tests.consult.factories import AppointmentFactory
from tests.rarecases.factories import peer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_figures(settings):  # type: ignore[no-untyped-def]
    settings.METRICS_CACHE_SECONDS = 0
    PLATFORM.clear()


def _value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    assert match, f"{name}{labels} not exposed"
    return float(match.group(1))


def test_metrics_expose_the_platform_figures_from_the_database(client):
    # Given two upcoming booked appointments and a cancelled one, one message, a reminder 10 minutes overdue,
    # two undelivered federation messages for one peer, portrait runs in two states and a paid order
    booked = AppointmentFactory()
    AppointmentFactory()
    AppointmentFactory(status=AppointmentStatus.CANCELLED)
    thread = ConsultationThread.objects.create(appointment=booked)
    ConsultationMessage.objects.create(thread=thread, sender=booked.patient, body="hello")
    AppointmentReminder.objects.create(appointment=booked, kind="day", due_at=timezone.now() - timedelta(minutes=10))
    b = peer(instance_id="platform-b")
    OutboxMessage.objects.create(peer=b, payload={})
    OutboxMessage.objects.create(peer=b, payload={})
    Run.objects.create(period="2024", status=RunStatus.DONE)
    Run.objects.create(period="2024", status=RunStatus.RUNNING)
    Order.objects.create(patient=booked.patient, status=OrderStatus.PAID, recipient_name="R", phone="1",
                         address="A", total="12.00", payment_provider="mock")
    client.get("/accounts/login/")   # one request for django-prometheus to count

    # When Prometheus scrapes (from loopback, as in local mode)
    response = client.get("/metrics")

    # Then every figure is there, counted from the rows
    assert response.status_code == 200
    text = response.content.decode()
    assert _value(text, "medplatform_bookings_total") == 3
    assert _value(text, "medplatform_appointments_upcoming", '{status="booked"}') == 2
    assert _value(text, "medplatform_appointments_upcoming", '{status="cancelled"}') == 1
    assert _value(text, "medplatform_consultation_messages_total") == 1
    assert _value(text, "medplatform_reminders_due_unsent", '{kind="appointment"}') == 1
    assert _value(text, "medplatform_reminders_due_unsent", '{kind="dose"}') == 0
    assert 600 <= _value(text, "medplatform_reminder_lag_seconds", '{kind="appointment"}') < 660
    assert _value(text, "medplatform_federation_outbox_pending", '{peer="platform-b"}') == 2
    assert _value(text, "medplatform_portrait_runs", '{status="done"}') == 1
    assert _value(text, "medplatform_portrait_runs", '{status="running"}') == 1
    assert _value(text, "medplatform_celery_queue_length", '{queue="celery"}') >= 0
    assert _value(text, "medplatform_orders", '{status="paid"}') == 1
    assert _value(text, "medplatform_metrics_ok") == 1
    assert re.search(r'^django_http_requests_total_by_method_total\{method="GET"\} [1-9]', text, re.M)
    assert re.search(r'^django_http_requests_latency_seconds_by_view_method_bucket\{', text, re.M)


def test_metrics_need_the_token_when_one_is_set_and_refuse_other_clients_in_production_mode(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789").status_code == 200

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_LOOPBACK = False
    assert client.get("/metrics").status_code == 403
    settings.METRICS_ALLOW_LOOPBACK = True
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 403
