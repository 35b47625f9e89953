"""JSON log lines for production (structlog's formatter over the standard logging module).

Every line is one JSON object: timestamp (UTC), level, logger, event, and from the context the request id, the
user id and the route of the request (operations.middleware) or the task name, task id and the request id that
queued it (operations.request_id). Only ids: a log line never carries a name, a query string or health data.
`make run` keeps the plain, readable lines of settings.base.
"""
from __future__ import annotations

from typing import Any

import structlog

# The `extra=` fields that become JSON fields; only these (Django passes the request object itself as an extra,
# whose text would carry the query string).
EXTRA_FIELDS = ["method", "route", "status", "status_code", "duration_ms", "user_id"]
_PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(allow=EXTRA_FIELDS),
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
]


def json_logging(level: str = "INFO") -> dict[str, Any]:
    """A `LOGGING` dict: every logger (Django, gunicorn, Celery, ours) to stdout as JSON lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _PRE_CHAIN,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(ensure_ascii=False),
                ],
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
        },
    }
