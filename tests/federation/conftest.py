"""Three REAL platform instances on loopback (own databases, own gunicorn and Celery worker each), started
once for the federation tests. Databases follow DATABASE_URL (PostgreSQL in CI: one database per instance on
that server) or SQLite files; brokers follow CELERY_BROKER_URL (one Redis db per instance) or the filesystem."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rarecases import federation_launch as F

BASE_PORT = int(os.environ.get("FEDERATION_TEST_BASE_PORT", "0"))


@pytest.fixture(scope="session")
def federation(tmp_path_factory) -> Iterator[list[F.Instance]]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("federation")
    instances = F.plan(base_port=BASE_PORT or F.free_base_port(3, 18201), root=root)
    keepalive = threading.Event()
    try:
        F.create_databases(instances)
        for inst in instances:
            F.start_web(inst)
            F.start_worker(inst, concurrency=4)
        F.keep_workers_alive(instances, keepalive)
        for inst in instances:
            F.wait_ready(inst)
        F.configure(instances)
        yield instances
    finally:
        F.stop_all(instances, keepalive)
        F.drop_databases(instances)


def api(inst: F.Instance, path: str, *, token: str = "doctor_token", method: str = "GET",
        body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{inst.url}{path}", data=data, method=method, headers={
        "Authorization": f"Token {inst.tokens[token]}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - loopback test instance
        return json.loads(resp.read())


def status(inst: F.Instance) -> dict:
    return api(inst, "/api/rarecases/status/", token="admin_token")


def manage(inst: F.Instance, *args: str, timeout: float = 300) -> str:
    return F._run(list(args), inst, timeout=timeout).stdout


def wait_for(check: Callable[[], bool], *, timeout: float = 60, what: str = "") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def received_from(inst: F.Instance, origin: str) -> int:
    return status(inst)["cases"]["received_by_origin"].get(origin, 0)


__all__ = ["api", "manage", "received_from", "status", "subprocess", "wait_for"]
