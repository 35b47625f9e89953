"""`make run` on SQLite: the web server, the worker and the scheduler write to one file. A transaction that reads
and then writes while another process holds the write lock must wait for it, not fail at once with "database is
locked" (what the demo's e-mail worker did before settings.base.SQLITE_OPTIONS: BEGIN IMMEDIATE, WAL)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from platform_site.settings.base import SQLITE_OPTIONS

SCRIPT = r"""
import json, sys, time
import django
from django.conf import settings
path, options, role = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": options}})
django.setup()
from django.db import connection, transaction
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS t (x integer)")
if role == "holder":
    with transaction.atomic():
        with connection.cursor() as c:
            c.execute("INSERT INTO t VALUES (1)")
        print("locked", flush=True)
        time.sleep(1.5)
else:
    try:
        with transaction.atomic():
            with connection.cursor() as c:
                c.execute("SELECT count(*) FROM t")   # a read first, as the e-mail outbox does
                c.execute("INSERT INTO t VALUES (2)")
        print("ok")
    except Exception as exc:
        print(type(exc).__name__, exc)
"""


def _race(path: str, options: dict) -> str:
    holder = subprocess.Popen([sys.executable, "-c", SCRIPT, path, json.dumps(options), "holder"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        time.sleep(0.1)
        other = subprocess.run([sys.executable, "-c", SCRIPT, path, json.dumps(options), "other"],
                               capture_output=True, text=True, timeout=60)
    finally:
        holder.wait(timeout=30)
    return other.stdout.strip()


def test_a_read_then_write_transaction_waits_for_the_other_writer(tmp_path):
    assert _race(str(tmp_path / "platform.sqlite3"), SQLITE_OPTIONS) == "ok"


def test_without_those_options_the_same_transaction_fails_at_once(tmp_path):
    # The control: what the test above would see if the options were lost.
    assert "database is locked" in _race(str(tmp_path / "plain.sqlite3"), {"timeout": 20})
