"""Production: everything from the environment, secure cookies, HSTS, MFA for staff enforced."""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env

DEBUG = False
if not SECRET_KEY or len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be set (50+ random characters) in production.")
if not PSEUDONYM_KEY:  # noqa: F405
    raise ImproperlyConfigured("PSEUDONYM_KEY must be set in production.")
if not RARECASES_PEER_KEYS:  # noqa: F405
    raise ImproperlyConfigured("RARECASES_PEER_KEYS (Fernet keys for peer secrets) must be set in production.")
REQUIRE_STAFF_MFA = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The Content-Security-Policy (settings/integrations_csp.py) is the same in every mode; tests/platform/
# test_deploy_check.py checks these headers on a production response.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # noqa: F405
# Private files: an S3 bucket for several nodes; a local directory only when said explicitly (one node, or a
# volume every node mounts).
if not env("STORAGE_BACKEND", default=""):
    raise ImproperlyConfigured("STORAGE_BACKEND must be set in production: 's3' (with S3_BUCKET) or 'filesystem'.")
if STORAGE_BACKEND == "s3" and not STORAGES["default"]["OPTIONS"]["bucket_name"]:  # noqa: F405
    raise ImproperlyConfigured("S3_BUCKET must be set when STORAGE_BACKEND=s3.")

# Operations (docs/operations.md): JSON log lines with the request id, one line per request, metrics only with
# the token, database metrics through django-prometheus's backend, a bounded connect time.
from operations.logconfig import json_logging  # noqa: E402

LOGGING = json_logging(env("LOG_LEVEL", default="INFO"))
REQUEST_LOG = env.bool("REQUEST_LOG", default=True)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False   # workers log through LOGGING (JSON) too
METRICS_ALLOW_LOOPBACK = env.bool("METRICS_ALLOW_LOOPBACK", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))  # noqa: F405
