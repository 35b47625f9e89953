"""Local development and `make run`: DEBUG on, console e-mail, a development secret key."""
from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F403
from .env import env  # noqa: E402

DEBUG = env.bool("DEBUG", default=True)
if not SECRET_KEY:  # noqa: F405
    # A development default, only ever used with DEBUG on; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
if not PSEUDONYM_KEY:  # noqa: F405
    PSEUDONYM_KEY = "dev-only-pseudonym-key"
REQUIRE_STAFF_MFA = env.bool("REQUIRE_STAFF_MFA", default=False)
