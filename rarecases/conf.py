"""Run-time knobs from the environment (federation tests shorten them); thresholds live in RarecasesSettings."""
from __future__ import annotations

import os

from django.conf import settings


def _get(name: str, default: float) -> float:
    return float(getattr(settings, name, None) or os.environ.get(name, default))


def replay_window() -> int:
    """Seconds a signed request stays valid (and its nonce remembered)."""
    return int(_get("RARECASES_REPLAY_WINDOW", 300))


def backoff_base() -> float:
    return _get("RARECASES_BACKOFF_BASE", 10.0)


def backoff_max() -> float:
    return _get("RARECASES_BACKOFF_MAX", 3600.0)


def http_timeout() -> float:
    return _get("RARECASES_HTTP_TIMEOUT", 5.0)


def instance_defaults() -> dict:
    """Initial profile of this instance (federation_launch sets these per instance)."""
    return {
        "instance_id": os.environ.get("RARECASES_INSTANCE_ID", "platform-local"),
        "name": os.environ.get("RARECASES_INSTANCE_NAME", "MedPlatform"),
        "region": os.environ.get("RARECASES_REGION", ""),
        "base_url": os.environ.get("RARECASES_BASE_URL", ""),
        "feature_tags": [t for t in os.environ.get("RARECASES_TAGS", "").split(",") if t],
    }


def mme_production() -> bool:
    """MME heartbeat "production": true only where an operator says this instance holds real patients
    (RARECASES_MME_PRODUCTION=true); demo, test and federation instances answer false."""
    value = getattr(settings, "RARECASES_MME_PRODUCTION", None)
    if value is None:
        value = os.environ.get("RARECASES_MME_PRODUCTION", "false")
    return str(value).lower() in ("1", "true", "yes")
