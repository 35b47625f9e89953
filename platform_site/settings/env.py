"""The environment is read once, here (django-environ)."""
from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    REQUIRE_STAFF_MFA=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None
# Local state (SQLite file, embedded broker queue, private uploads) lives under var/, never in git.
(BASE_DIR / "var").mkdir(exist_ok=True)
