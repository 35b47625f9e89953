"""`make run` (platform_site.launch) starts exactly one beat scheduler: embedded in its single worker."""
from __future__ import annotations

from platform_site.launch import commands


def test_make_run_starts_one_web_server_and_one_worker_with_embedded_beat():
    procs = commands("8123")
    celery = [argv for argv in procs if "celery" in argv]
    assert len(procs) == 2
    assert procs[0][1:4] == ["platform_site.wsgi:application", "--bind", "127.0.0.1:8123"]
    assert len(celery) == 1
    assert celery[0][celery[0].index("platform_site") + 1] == "worker"
    # a second scheduler (`celery beat`, or -B on a second worker) would run every periodic task twice
    assert sum(argv.count("-B") + argv.count("--beat") + argv.count("beat") for argv in procs) == 1
