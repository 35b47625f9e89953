"""Liveness and readiness for a load balancer or an orchestrator.

`/healthz`: the process answers (no dependency is touched: a database outage must not get every node killed).
`/readyz`: this node can serve — the database answers and has every migration applied, the cache's Redis and
the Celery broker answer, the private store is reachable. JSON, 200 or 503, each check with its time and, when
it failed, a short reason (an exception class and a fixed phrase: never a URL, a host name or a secret).
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import DEFAULT_DB_ALIAS, connections

from platform_site.storage import private_storage

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2.0


class CheckFailed(Exception):
    """A check that ran but found the dependency unusable (the message is safe to show)."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, CheckFailed):
        return str(exc)
    text = str(exc).lower()
    for needle, phrase in (("refused", "connection refused"), ("timed out", "timed out"), ("timeout", "timed out"),
                           ("does not exist", "does not exist"), ("nosuchbucket", "no such bucket"),
                           ("access denied", "access denied"), ("forbidden", "access denied"),
                           ("authentication", "authentication failed"), ("password", "authentication failed"),
                           ("name or service not known", "unknown host")):
        if needle in text:
            return f"{type(exc).__name__}: {phrase}"
    return type(exc).__name__


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


_migrated = False


def check_migrations() -> None:
    """Every migration of the code this node runs is applied (a node of a new release waits for `migrate`)."""
    global _migrated
    if _migrated:   # once applied they stay applied for this code: the graph is loaded once per process
        return
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise CheckFailed(f"{len(plan)} migration(s) not applied")
    _migrated = True


def check_cache() -> None:
    url = settings.REDIS_URL
    if not url:
        return   # the local-memory cache of `make run`: nothing to reach
    import redis

    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise CheckFailed("the broker's queue folder is not writable")
        return
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
        return
    from kombu import Connection

    with Connection(url, connect_timeout=TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)


def check_storage() -> None:
    storage = private_storage()
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK):
            raise CheckFailed("the private directory is not writable")
        return
    # S3: one LIST of the top level (a handful of prefixes); fails on a missing bucket or refused keys.
    storage.listdir("")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def readiness() -> tuple[bool, dict[str, Any]]:
    """Run every check; (all passed, the JSON body)."""
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        if name == "migrations" and not results["database"]["ok"]:
            results[name] = {"ok": False, "error": "database unavailable", "ms": 0.0}
            continue
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure makes the node unready; the log has the detail
            logger.warning("readiness check %s failed: %s", name, _reason(exc), exc_info=not isinstance(exc, CheckFailed))
            results[name] = {"ok": False, "error": _reason(exc)}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    ok = all(r["ok"] for r in results.values())
    if not results["database"]["ok"]:
        # A failed connection must not be reused by the next probe on this thread.
        connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
    return ok, {"status": "ok" if ok else "unavailable", "checks": results}
