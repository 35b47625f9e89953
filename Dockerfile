# The web/worker image of MedPlatform (docs/operations.md). One image, three uses:
#   web:     docker run IMAGE                                  (gunicorn, platform_site/gunicorn_conf.py)
#   worker:  docker run IMAGE celery -A platform_site worker -B --loglevel INFO   (-B on every worker is safe:
#            only the holder of the beat lock schedules, operations/beat.py)
#   jobs:    docker run IMAGE python manage.py migrate | backup | restore DIR | audit_verify
# Dependencies come from requirements.lock (`make lock`), installed without resolving again (--no-deps): the
# image gets exactly the pinned versions. Nothing is downloaded at run time (ICD-10 and HPO data ship inside
# their packages, static files are collected here, translations are compiled and committed).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=platform_site.settings.production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    PORT=8000

# pg_dump/pg_restore for `manage.py backup|restore` (the client of the server's major version, 15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock

COPY . .
# Static files with hashed names (ManifestStaticFilesStorage). The production settings insist on secrets at
# import; these build-time values are used for nothing else and are not in the running container.
RUN SECRET_KEY=build-only-not-a-secret-0123456789-0123456789-0123456789 PSEUDONYM_KEY=build-only \
    RARECASES_PEER_KEYS=build-only STORAGE_BACKEND=filesystem \
    python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p var && chown -R app:app var

USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["gunicorn", "-c", "python:platform_site.gunicorn_conf", "platform_site.wsgi:application"]
