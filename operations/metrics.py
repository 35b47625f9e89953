"""`/metrics` for Prometheus: django-prometheus (requests, latency histograms, database) plus the platform's own
gauges and counters, computed at scrape time from the database.

The platform figures are read with a few aggregate queries on indexed columns (or small tables), at most once
per METRICS_CACHE_SECONDS per process, so several scrapers do not multiply the work. The models are reached by
name (apps.get_model): this module counts rows and knows no rule of any app.

Access: a bearer token (METRICS_TOKEN), or, without one, loopback clients only where METRICS_ALLOW_LOOPBACK is on
(`make run`; production turns it off — behind a proxy every client looks local). docs/operations.md.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


def allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if not getattr(settings, "METRICS_ALLOW_LOOPBACK", False):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _model(label: str) -> Any:
    return apps.get_model(label)


def _celery_queue_length() -> int | None:
    """Messages waiting in the default queue (Redis list, or files of the filesystem transport)."""
    url = settings.CELERY_BROKER_URL
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            # kombu keeps a queue's priorities in separate lists: the name, then name + \x06\x16 + priority.
            names = [queue] + [f"{queue}\x06\x16{p}" for p in (3, 6, 9)]
            with client.pipeline() as pipe:
                for name in names:
                    pipe.llen(name)
                return int(sum(pipe.execute()))
        finally:
            client.close()
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        return sum(1 for _ in folder.glob(f"*.{queue}.msg")) if folder.is_dir() else 0
    return None


def collect_platform() -> list[Metric]:
    """The platform's own figures, one list of metric families (queries: see the module docstring)."""
    now = timezone.now()
    out: list[Metric] = []

    appointment = _model("consult.Appointment")
    out.append(CounterMetricFamily("medplatform_bookings", "Appointments ever booked (rows).",
                                   value=appointment.objects.count()))
    upcoming = GaugeMetricFamily("medplatform_appointments_upcoming",
                                 "Appointments from now on, by status.", labels=["status"])
    for row in (appointment.objects.filter(start__gte=now).order_by().values("status").annotate(n=Count("id"))):
        upcoming.add_metric([row["status"]], row["n"])
    out.append(upcoming)

    out.append(CounterMetricFamily("medplatform_consultation_messages", "Consultation messages ever posted.",
                                   value=_model("consult.ConsultationMessage").objects.count()))

    orders = GaugeMetricFamily("medplatform_orders", "Pharmacy orders by status.", labels=["status"])
    for row in _model("pharmacy.Order").objects.order_by().values("status").annotate(n=Count("id")):
        orders.add_metric([row["status"]], row["n"])
    out.append(orders)

    # Reminder lag: reminders that are due but not sent yet, and how late the oldest of them is.
    due = GaugeMetricFamily("medplatform_reminders_due_unsent", "Reminders due and not sent yet.", labels=["kind"])
    lag = GaugeMetricFamily("medplatform_reminder_lag_seconds",
                            "How long the oldest due, unsent reminder has waited (0 when none).", labels=["kind"])
    for kind, qs, field in (
        ("dose", _model("records.DoseReminder").objects.filter(status="scheduled", scheduled_at__lte=now),
         "scheduled_at"),
        ("appointment", _model("consult.AppointmentReminder").objects.filter(sent_at__isnull=True, due_at__lte=now),
         "due_at"),
    ):
        agg = qs.order_by().aggregate(n=Count("id"), oldest=Min(field))
        due.add_metric([kind], agg["n"])
        lag.add_metric([kind], max(0.0, (now - agg["oldest"]).total_seconds()) if agg["oldest"] else 0.0)
    out += [due, lag]

    backlog = GaugeMetricFamily("medplatform_federation_outbox_pending",
                                "Federation messages waiting for delivery, per peer.", labels=["peer"])
    oldest = GaugeMetricFamily("medplatform_federation_outbox_oldest_seconds",
                               "Age of the oldest undelivered federation message, per peer.", labels=["peer"])
    for row in (_model("rarecases.OutboxMessage").objects.filter(status="pending").order_by()
                .values("peer__instance_id").annotate(n=Count("id"), first=Min("created_at"))):
        backlog.add_metric([row["peer__instance_id"]], row["n"])
        oldest.add_metric([row["peer__instance_id"]], max(0.0, (now - row["first"]).total_seconds()))
    out += [backlog, oldest]

    runs = GaugeMetricFamily("medplatform_portrait_runs", "Portrait runs by status.", labels=["status"])
    for row in _model("portraits.Run").objects.order_by().values("status").annotate(n=Count("id")):
        runs.add_metric([row["status"]], row["n"])
    out.append(runs)

    queue = GaugeMetricFamily("medplatform_celery_queue_length", "Tasks waiting in the Celery queue.",
                              labels=["queue"])
    try:
        length = _celery_queue_length()
    except Exception:  # noqa: BLE001 - a broker outage is /readyz's to report; the other figures still count
        logger.warning("could not read the Celery queue length", exc_info=True)
        length = None
    if length is not None:
        queue.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], length)
    out.append(queue)

    out.append(GaugeMetricFamily("medplatform_metrics_computed_at_seconds",
                                 "When these platform figures were read from the database (Unix time).",
                                 value=now.timestamp()))
    return out


class PlatformCollector(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        ttl = getattr(settings, "METRICS_CACHE_SECONDS", 15)
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] >= ttl:
                started = time.perf_counter()
                try:
                    metrics = collect_platform()
                    ok = 1
                except Exception:  # noqa: BLE001 - a database outage must not hide django-prometheus' figures
                    logger.warning("could not read the platform figures", exc_info=True)
                    metrics, ok = [], 0
                metrics.append(GaugeMetricFamily("medplatform_metrics_ok",
                                                 "1 when the platform figures could be read from the database.",
                                                 value=ok))
                metrics.append(GaugeMetricFamily("medplatform_metrics_collect_seconds",
                                                 "Time spent reading the platform figures.",
                                                 value=time.perf_counter() - started))
                self._cached = (time.monotonic(), metrics)
            yield from self._cached[1]

    def clear(self) -> None:
        with self._lock:
            self._cached = None


PLATFORM = PlatformCollector()
_platform_registry = CollectorRegistry(auto_describe=False)
_platform_registry.register(PLATFORM)


def exposition() -> bytes:
    """The text format: this process's (or, under gunicorn with PROMETHEUS_MULTIPROC_DIR, every worker's)
    django-prometheus figures, then the platform's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_platform_registry)

