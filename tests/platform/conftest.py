"""Real processes for the platform tests: a Celery worker (with embedded beat) and a gunicorn web server,
both sharing pytest-django's test database and one broker.

Broker: CELERY_BROKER_URL when set (Redis in CI), otherwise kombu's filesystem transport in a temp dir.
Each worker gets its own queue name (CELERY_TASK_DEFAULT_QUEUE), so tests never see each other's
messages even on a shared Redis.

Database: the subprocesses connect to the test database. On PostgreSQL that is pytest-django's
`test_<name>` database; on SQLite the test database is switched (below, before it is created) from
in-memory to a file in a temp dir, because another process cannot open an in-memory database.
"""
from __future__ import annotations

import atexit
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent

_db = settings.DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3" and not (_db.get("TEST") or {}).get("NAME"):
    _sqlite_dir = tempfile.mkdtemp(prefix="medplatform-testdb-")
    atexit.register(shutil.rmtree, _sqlite_dir, True)
    _db.setdefault("TEST", {})["NAME"] = str(Path(_sqlite_dir) / "test.sqlite3")
    connections["default"].settings_dict.setdefault("TEST", {})["NAME"] = _db["TEST"]["NAME"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def subprocess_database_url() -> str:
    """A DATABASE_URL for the test database this pytest process is using."""
    conn = connections["default"]
    conn.ensure_connection()
    s = conn.settings_dict
    if conn.vendor == "postgresql":
        auth = urllib.parse.quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + urllib.parse.quote(s["PASSWORD"], safe="")
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or 5432
        return f"postgres://{auth}@{host}:{port}/{s['NAME']}"
    if conn.vendor == "sqlite":
        name = str(s["NAME"])
        if conn.is_in_memory_db():
            pytest.fail("the SQLite test database is in memory; a subprocess cannot share it", pytrace=False)
        return f"sqlite:///{name}"
    pytest.fail(f"unsupported database vendor for subprocess tests: {conn.vendor}", pytrace=False)
    raise AssertionError  # unreachable


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            # The whole process group: gunicorn's and celery's children (beat runs in a child process).
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)


@dataclass
class Stack:
    """Environment shared by the subprocesses of one test: database, broker, queue, e-mail directory."""

    tmp: Path
    broker_url: str
    queue: str
    env: dict[str, str]
    mail_dir: Path
    procs: list[Proc] = field(default_factory=list)

    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        log_path = self.tmp / f"{name}-{len(self.procs)}.log"
        with open(log_path, "wb") as log:
            popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        proc = Proc(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def start_worker(self, *, sweep_seconds: float = 3600, **extra_env: str) -> Proc:
        """A real worker with embedded beat (`-B`), as `make run` starts it."""
        env = {**self.env, "EMAIL_OUTBOX_SWEEP_SECONDS": str(sweep_seconds), **extra_env}
        argv = [sys.executable, "-m", "celery", "-A", "platform_site", "worker", "-B", "--pool", "solo",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"{self.queue}@%h", "--schedule", str(self.tmp / f"beat-{uuid.uuid4().hex}")]
        proc = self._start("worker", argv, env)
        wait_until(lambda: "ready." in proc.log() or proc.popen.poll() is not None, 60, "the worker to start")
        assert proc.popen.poll() is None, f"the worker exited:\n{proc.log()}"
        return proc

    def start_web(self, **extra_env: str) -> Proc:
        """The web app under gunicorn, as `make run` serves it."""
        port = free_port()
        env = {**self.env, **extra_env}
        argv = [str(BIN / "gunicorn"), "platform_site.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--threads", "2", "--log-level", "warning"]
        proc = self._start("web", argv, env)
        proc.url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            if proc.popen.poll() is not None:
                raise AssertionError(f"the web server exited:\n{proc.log()}")
            try:
                with urllib.request.urlopen(proc.url + "/accounts/login/", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(answers, 60, "the web server to answer")
        return proc

    def sent_mail(self) -> list[str]:
        """Messages the subprocesses delivered (Django's file e-mail backend, one file per connection)."""
        if not self.mail_dir.exists():
            return []
        texts = [p.read_text(errors="replace") for p in sorted(self.mail_dir.iterdir())]
        return [m for text in texts for m in text.split("-" * 79) if m.strip()]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture
def stack(transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """Subprocesses share the committed test data, hence transactional_db; they stop before its flush."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "REDIS_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "platform_site.settings.local",
        "DEBUG": "false",
        "REQUIRE_STAFF_MFA": "false",
        "DATABASE_URL": subprocess_database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "PYTHONUNBUFFERED": "1",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
    })
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    else:
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["CELERY_FS_DIR"] = str(tmp_path / "broker")
        broker_url = f"filesystem:// ({tmp_path / 'broker'})"
    stack = Stack(tmp=tmp_path, broker_url=broker_url, queue=queue, env=env, mail_dir=mail_dir)
    try:
        yield stack
    finally:
        stack.stop()
        for proc in stack.procs:
            print(f"----- {proc.name} log ({proc.log_path}) -----\n{proc.log()[-4000:]}")


def closed_port_url() -> str:
    """A Redis URL on a loopback port where nothing listens (connection refused at once)."""
    return f"redis://127.0.0.1:{free_port()}/0"


class Browserless:
    """A tiny HTTP client with cookies and Django's CSRF token, for driving pages of a subprocess."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.last_post_seconds = 0.0
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def get(self, path: str, timeout: float = 10) -> tuple[int, str]:
        try:
            with self.opener.open(self.base_url + path, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def post_form(self, path: str, data: dict[str, str], timeout: float = 10) -> tuple[int, str]:
        """GET the form (for the CSRF token), then POST it; `last_post_seconds` times the POST alone."""
        _status, page = self.get(path, timeout=timeout)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1), **data}).encode()
        request = urllib.request.Request(self.base_url + path, data=body, method="POST")
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "") or exc.read().decode(errors="replace")[:2000]
        finally:
            self.last_post_seconds = time.monotonic() - started


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
