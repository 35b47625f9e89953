"""Operations (docs/operations.md): the single beat scheduler, /metrics access, the per-request log line."""
from __future__ import annotations

from .env import BASE_DIR, env

# Every worker may run with -B: only the holder of this lock schedules (operations.beat).
CELERY_BEAT_SCHEDULER = "operations.beat:LeaderScheduler"
BEAT_LOCK_URL = env("BEAT_LOCK_URL", default="")   # empty: the broker's Redis, else REDIS_URL, else a file lock
# Empty: one key per database and queue (the nodes of one deployment share both; two platforms on one Redis,
# as in `make federation`, do not).
BEAT_LOCK_KEY = env("BEAT_LOCK_KEY", default="")
BEAT_LOCK_TTL = env.float("BEAT_LOCK_TTL", default=60.0)
BEAT_LOCK_FILE = env("BEAT_LOCK_FILE", default="")   # empty: the schedule file's name + ".lock"

# /metrics: a bearer token; without one, loopback clients only while METRICS_ALLOW_LOOPBACK is on (local mode).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOW_LOOPBACK = env.bool("METRICS_ALLOW_LOOPBACK", default=True)
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=15)

# One log line per request (method, route, status, duration, request id, user id): on in production, where
# the gunicorn access log is off; `make run` keeps gunicorn's plain access log instead.
REQUEST_LOG = env.bool("REQUEST_LOG", default=False)

# `manage.py backup` / `make backup`: where backups go, how many to keep there (0: all).
BACKUP_DIR = env("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups"))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=0)
