"""Settings shared by every mode. Integration settings live in their own modules, imported at the end."""
from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .env import BASE_DIR, env

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_prometheus",
    # Our apps, in dependency order (seed_demo runs their demo modules in this order). `core` is the shared
    # kernel (task outbox; registers the <id:…> path converter before any URLconf loads).
    "core",
    "accounts",
    "knowledge",
    "consult",
    "records",
    "pharmacy",
    "portraits",
    "rarecases",
    "operations",   # probes, metrics, request ids, beat lock, backup (no models)
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics are answered first (no host check, no session, no audit: operations.middleware).
    "operations.middleware.ProbeMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "operations.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (settings/integrations_csp.py).
    "csp.middleware.CSPMiddleware",
    # Every error under /fhir/ answered as a FHIR OperationOutcome (records/middleware.py).
    "records.middleware.FhirErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionIdleRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The input boundary for query strings, form bodies and body sizes (after the locale: messages are translated).
    "platform_site.middleware.InputBoundaryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequestContextMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
    # A refusal of the access policy raised below a page becomes the 404/403 page (already audited).
    "accounts.policy.pages.RefusalMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "platform_site.urls"
WSGI_APPLICATION = "platform_site.wsgi.application"
ASGI_APPLICATION = "platform_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.platform",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL=postgres://… switches to PostgreSQL (psycopg 3).
SQLITE_OPTIONS = {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: measured 8-10x faster per request on these machines (MACHINE-NOTES).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite shared by the web server, the worker and the scheduler (`make run`): a transaction that reads and
    # then writes could not wait for another writer ("database is locked" at once, the busy timeout does not
    # apply to that upgrade); BEGIN IMMEDIATE takes the write lock up front and waits up to `timeout` seconds.
    # WAL lets readers go on while one process writes.
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded attachments are private health data: stored outside the web root, served only through views
# that check who may read them.
# The access policy (accounts/policy, docs/security.md): how long after the last contact a doctor's care relation
# still opens a patient's record, and how long a break-glass emergency access lasts.
CARE_RELATION_DAYS = env.int("CARE_RELATION_DAYS", default=365)
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=120)

PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
VAR_DIR = BASE_DIR / "var"

# Sessions expire after 30 minutes of inactivity (a health record must not stay open on a shared PC). The
# expiry slides: accounts.middleware.SessionIdleRefreshMiddleware saves a session again once its last
# refresh is SESSION_REFRESH_SECONDS old (not on every request: one UPDATE per page saved).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# E-mail: every message goes through the outbox table and is delivered by a Celery task with the
# backend named in EMAIL_DELIVERY_BACKEND (console/file locally, SMTP when EMAIL_URL is set).
EMAIL_BACKEND = "accounts.mail.OutboxEmailBackend"
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_DELIVERY_BACKEND = _email["EMAIL_BACKEND"]
for _key, _value in _email.items():
    if _key != "EMAIL_BACKEND":
        globals()[_key] = _value
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="MedPlatform <no-reply@medplatform.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Template fragments that depend only on the code, the role and the language (the navigation links): kept in
# each process's memory, never stale (a deploy restarts the processes). Measured: the links cost ~1.5 ms of
# CPU per page to render (reversing a dozen URLs), a cached fragment ~0.05 ms (bench/booking.py).
# Sessions: in the database, read through the cache when the cache is shared by every process (Redis): a
# process-local cache would let a session logged out in one process live on in another's memory.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if REDIS_URL
                  else "django.contrib.sessions.backends.db")
CACHES["fragments"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments",
                       "TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": 1000}}

# Staff roles must use MFA (TOTP + recovery codes) when this is on; production forces it on.
REQUIRE_STAFF_MFA = env("REQUIRE_STAFF_MFA")
# Keyed pseudonyms for campus data (portraits) and other HMACs; from the environment in production.
PSEUDONYM_KEY = env("PSEUDONYM_KEY", default="")
# Fernet keys (comma-separated, newest first) encrypting federation peers' secrets at rest (rarecases.crypto);
# locally a key is derived from SECRET_KEY, production requires them.
RARECASES_PEER_KEYS = env("RARECASES_PEER_KEYS", default="")
# Fernet keys (comma-separated, newest first) encrypting sensitive personal data at rest (identity numbers,
# phones; accounts.crypto), and the never-changing key of the digest that finds one identity document. Locally
# derived from SECRET_KEY; set both in production (docs/compliance.md).
DATA_ENCRYPTION_KEYS = env("DATA_ENCRYPTION_KEYS", default="")
DATA_DIGEST_KEY = env("DATA_DIGEST_KEY", default="")
# Prescription signatures (records/services/rx_rules.py, docs/compliance.md): the key each doctor's signing key is
# derived from; empty = derived from SECRET_KEY. Set once in production, never change. Retention periods are the
# legal minimum (a hospital may keep longer).
PRESCRIPTION_SIGNING_KEY = env("PRESCRIPTION_SIGNING_KEY", default="")
RETENTION_CONSULTATION_YEARS = env.int("RETENTION_CONSULTATION_YEARS", default=15)
RETENTION_MESSAGE_YEARS = env.int("RETENTION_MESSAGE_YEARS", default=3)

# `manage.py seed_demo` runs these modules' seed() in this order (dependencies first).
DEMO_SEED_MODULES = [
    "accounts.demo", "knowledge.demo", "pharmacy.demo_catalogue", "consult.demo", "records.demo", "pharmacy.demo", "portraits.demo", "rarecases.demo",
]

# The input boundary (platform_site/inputs.py): JSON bodies up to this size and depth; form bodies up to
# DATA_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB; uploaded files are not counted).
INPUT_JSON_MAX_BYTES = env.int("INPUT_JSON_MAX_BYTES", default=1024 * 1024)
INPUT_JSON_MAX_DEPTH = env.int("INPUT_JSON_MAX_DEPTH", default=32)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # "django": Django's own console handler (DEBUG only) printed every 4xx/5xx line a second time after the root's.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "django": {"handlers": [], "propagate": True}},
}

from .integrations_allauth import *  # noqa: E402,F403
from .integrations_celery import *  # noqa: E402,F403
from .integrations_csp import *  # noqa: E402,F403
from .integrations_drf import *  # noqa: E402,F403
from .integrations_ops import *  # noqa: E402,F403
from .integrations_storage import *  # noqa: E402,F403
from .integrations_video import *  # noqa: E402,F403
