"""One beat scheduler across nodes: every worker may run with `-B`; only the holder of a lock sends periodic tasks.

`CELERY_BEAT_SCHEDULER` points here. The lock is a Redis key with a time-to-live (redis-py's Lock: a random token,
renewed and released by Lua scripts that check the token), on the broker's Redis when the broker is Redis,
otherwise on REDIS_URL; with neither (`make run` on one machine) an exclusive file lock next to the schedule
file (two workers given the same `--schedule` on one machine share it).
The holder renews it every TTL/3; the others stand by and try again every TTL/3, so when the holder dies a
standby takes over within one TTL. The periodic tasks are idempotent (CONVENTIONS §9), so the one tick a new
holder may run early (its own schedule file is older) does no harm.
"""
from __future__ import annotations

import fcntl
import logging
import os
import socket
import uuid
from pathlib import Path
from typing import IO, Any

from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger("celery.beat")


class RedisLeaderLock:
    def __init__(self, url: str, key: str, ttl: float) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.lock = self.client.lock(key, timeout=ttl, blocking=False, thread_local=False)
        self.where = f"redis key {key}"

    def hold(self) -> bool:
        """Acquire the lock, or renew it when held; False when another node holds it (or Redis is down)."""
        from redis.exceptions import LockError, RedisError

        try:
            if self.lock.local.token is not None:
                self.lock.reacquire()   # resets the TTL only if the key still holds our token (Lua)
                return True
            return bool(self.lock.acquire(blocking=False))
        except LockError:   # expired and taken by another node meanwhile
            self.lock.local.token = None
            return False
        except RedisError:
            logger.warning("beat: the lock's Redis is unreachable; not scheduling", exc_info=True)
            self.lock.local.token = None
            return False

    def release(self) -> None:
        from redis.exceptions import LockError, RedisError

        try:
            if self.lock.local.token is not None:
                self.lock.release()
        except (LockError, RedisError):
            pass


class FileLeaderLock:
    """One machine only: an exclusive flock, released by the kernel when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: IO[str] | None = None
        self.where = f"file {path}"

    def hold(self) -> bool:
        if self.fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for as long as this scheduler leads
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self.fh = fh
        return True

    def release(self) -> None:
        if self.fh is not None:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def lock_key() -> str:
    """BEAT_LOCK_KEY, or one key per database and queue: every node of a deployment shares both, while two
    platforms on one Redis (`make federation`, the tests) do not share a scheduler."""
    if settings.BEAT_LOCK_KEY:
        return settings.BEAT_LOCK_KEY
    db = settings.DATABASES["default"]
    return f"medplatform:beat-leader:{db.get('HOST') or ''}:{db.get('NAME')}:{settings.CELERY_TASK_DEFAULT_QUEUE}"


def leader_lock(schedule_filename: str) -> RedisLeaderLock | FileLeaderLock:
    ttl = float(settings.BEAT_LOCK_TTL)
    url = settings.BEAT_LOCK_URL
    if not url and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        url = settings.CELERY_BROKER_URL
    url = url or settings.REDIS_URL
    if url:
        return RedisLeaderLock(url, lock_key(), ttl)
    return FileLeaderLock(Path(settings.BEAT_LOCK_FILE or f"{schedule_filename}.lock"))


class LeaderScheduler(PersistentScheduler):
    """PersistentScheduler that sends only while it holds the leader lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        schedule = kwargs.get("schedule_filename") or settings.CELERY_BEAT_SCHEDULE_FILENAME
        self.leader = leader_lock(str(schedule))
        self.node = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.renew_seconds = max(0.5, float(settings.BEAT_LOCK_TTL) / 3)
        self.leading: bool | None = None
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        holds = self.leader.hold()
        if holds != self.leading:
            if holds:
                logger.info("beat: %s holds the scheduler lock (%s): scheduling", self.node, self.leader.where)
            else:
                logger.info("beat: %s stands by: another scheduler holds the lock (%s)", self.node,
                            self.leader.where)
            self.leading = holds
        if not holds:
            return self.renew_seconds
        # Sleep no longer than the renewal period, or the lock would expire between two ticks.
        return min(super().tick(*args, **kwargs), self.renew_seconds)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leader.release()
