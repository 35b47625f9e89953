"""The Celery app. Tasks live in each app's tasks.py and are autodiscovered."""
from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.local")

# Every task runs through core.tasking.OutboxTask: a task published from the task outbox runs once per row.
app = Celery("platform_site", task_cls="core.tasking:OutboxTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _cap_native_threads(**_kwargs) -> None:
    # Two workers on a 2-core box must not each start a BLAS/OpenMP pool per core (oversubscription).
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(int(os.environ.get("WORKER_NATIVE_THREADS", "1")))
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass
