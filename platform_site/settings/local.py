"""Local development and `make run`: DEBUG off unless DEBUG=1 (the platform's own error pages, not Django's debug
page with its traceback and settings), static files served by the app, console e-mail, a development secret key."""
from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: E402,F403
from .env import env  # noqa: E402

DEBUG = env.bool("DEBUG", default=False)
# Without DEBUG, Django's static view is off: the demo's gunicorn serves the collected files itself (urls.py).
SERVE_STATIC = True
if not SECRET_KEY:  # noqa: F405
    # A development default for the local demo only; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
if not PSEUDONYM_KEY:  # noqa: F405
    PSEUDONYM_KEY = "dev-only-pseudonym-key"
REQUIRE_STAFF_MFA = env.bool("REQUIRE_STAFF_MFA", default=False)
