"""gunicorn settings of a production web node: `gunicorn -c python:platform_site.gunicorn_conf platform_site.wsgi`.

(`make run` starts gunicorn with its own arguments, platform_site.launch.) Everything is read from the
environment; docs/operations.md gives the sizing behind the defaults.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Sync workers: measured faster than threads or ASGI for these views (MACHINE-NOTES, docs/benchmarks.md).
# One worker per core plus one, by default.
workers = int(os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) + 1)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 2
# Recycle workers now and then (a slow leak never grows without bound); jitter so they do not all restart at once.
max_requests = 5000
max_requests_jitter = 500
# The load balancer's address(es), whose X-Forwarded-Proto gunicorn trusts.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The access log is off: operations.middleware writes one JSON line per request (with the request id, the
# user id and the route); gunicorn's own messages go through the same JSON formatter.
accesslog = None
if os.environ.get("LOG_FORMAT", "json") == "json":
    from operations.logconfig import json_logging

    logconfig_dict = json_logging(os.environ.get("LOG_LEVEL", "INFO"))
    logconfig_dict["loggers"].update({
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": ["console"], "propagate": False},
    })

# Prometheus with several worker processes: each writes its figures to files in PROMETHEUS_MULTIPROC_DIR and
# /metrics adds them up (operations.metrics). The directory must start empty and be private to this node.
_multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    if _multiproc:
        shutil.rmtree(_multiproc, ignore_errors=True)
        Path(_multiproc).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    if _multiproc:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
