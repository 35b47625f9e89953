"""Test settings: fast hashing, in-memory e-mail, eager Celery unless a test asks for a real worker."""
from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: E402,F403

SECRET_KEY = "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFG"
PSEUDONYM_KEY = "test-only-pseudonym-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
REQUIRE_STAFF_MFA = True
ALLOWED_HOSTS = ["*"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
