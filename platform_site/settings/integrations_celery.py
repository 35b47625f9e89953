"""Celery: an embedded filesystem transport by default (no server needed), Redis when CELERY_BROKER_URL is set."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

from .env import BASE_DIR, env

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
_queue_dir = Path(env("CELERY_FS_DIR", default=str(BASE_DIR / "var" / "celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport fails on a missing folder (a fresh clone has no var/celery yet).
    for _sub in ("out", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # By default a hung Redis blocks .delay() for over a minute: fail in seconds instead, and let the
    # periodic sweepers pick the recorded work up later.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One queue name for producers, beat and the worker; tests give each real worker its own queue.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Periodic tasks: each app lists its own in <app>/schedule.py (plain data, no Django imports).
CELERY_BEAT_SCHEDULE: dict = {}
for _app in ("accounts", "consult", "records", "pharmacy", "portraits", "rarecases"):
    CELERY_BEAT_SCHEDULE.update(import_module(f"{_app}.schedule").BEAT_SCHEDULE)
