"""Production settings: `manage.py check --deploy` is clean, and the mode refuses to start without secrets."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent.parent


def _manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "PSEUDONYM_KEY", "RARECASES_PEER_KEYS", "DEBUG", "STORAGE_BACKEND", "S3_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "platform_site.settings.production",
                "ALLOWED_HOSTS": "medplatform.example.test", **env_overrides})
    env = {k: v for k, v in env.items() if v != ""}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def _check_deploy(*extra: str) -> subprocess.CompletedProcess[str]:
    return _manage("check", "--deploy", "--fail-level", "WARNING", *extra,
                   SECRET_KEY=secrets.token_urlsafe(64), PSEUDONYM_KEY=secrets.token_urlsafe(32),
                   RARECASES_PEER_KEYS=Fernet.generate_key().decode(), STORAGE_BACKEND="s3",
                   S3_BUCKET="medplatform-private")


def test_check_deploy_security_checks_are_clean_in_production_mode():
    result = _check_deploy("--tag", "security")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_reports_no_issues_in_production_mode():
    # Every deploy check, including drf-spectacular's schema check: colliding component/enum names or
    # operationIds in any app's API (nested Input/Output serializers are named after their view by
    # platform_site.api.AutoSchema; enums that share a field name need ENUM_NAME_OVERRIDES).
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_long_secret_key():
    result = _manage("check", SECRET_KEY="too-short", PSEUDONYM_KEY=secrets.token_urlsafe(32))
    assert result.returncode != 0
    assert "SECRET_KEY must be set (50+ random characters) in production." in result.stderr


def test_production_refuses_to_start_without_peer_keys():
    result = _manage("check", SECRET_KEY=secrets.token_urlsafe(64), PSEUDONYM_KEY=secrets.token_urlsafe(32))
    assert result.returncode != 0
    assert "RARECASES_PEER_KEYS (Fernet keys for peer secrets) must be set in production." in result.stderr


def test_production_refuses_to_start_without_a_choice_of_file_storage():
    keys = {"SECRET_KEY": secrets.token_urlsafe(64), "PSEUDONYM_KEY": secrets.token_urlsafe(32),
            "RARECASES_PEER_KEYS": Fernet.generate_key().decode()}
    result = _manage("check", **keys)
    assert result.returncode != 0
    assert "STORAGE_BACKEND must be set in production: 's3' (with S3_BUCKET) or 'filesystem'." in result.stderr
    result = _manage("check", STORAGE_BACKEND="s3", **keys)
    assert result.returncode != 0
    assert "S3_BUCKET must be set when STORAGE_BACKEND=s3." in result.stderr


PRODUCTION_RESPONSE = r"""
import json
import django
django.setup()
from django.test import Client
client = Client()
# The API schema: a public response that needs neither the database nor collected static files.
plain = client.get("/api/schema/")
secure = client.get("/api/schema/", secure=True)
print(json.dumps({"plain": [plain.status_code, plain.get("Location", "")],
                  "status": secure.status_code, "headers": dict(secure.headers.items())}))
"""


def test_production_responses_carry_the_deployment_checklist_headers():
    # Given production settings (in a subprocess: the settings module is read once per process)
    import json

    result = _manage("shell", "-c", PRODUCTION_RESPONSE,
                     SECRET_KEY=secrets.token_urlsafe(64), PSEUDONYM_KEY=secrets.token_urlsafe(32),
                     RARECASES_PEER_KEYS=Fernet.generate_key().decode(), STORAGE_BACKEND="s3",
                     S3_BUCKET="medplatform-private", ALLOWED_HOSTS="testserver", LOG_LEVEL="ERROR",
                     DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # Then plain HTTP is redirected to HTTPS, and the HTTPS response has every header of the checklist (the
    # cookie flags are `check --deploy`'s W012/W016, above)
    assert seen["plain"] == [301, "https://testserver/api/schema/"]
    assert seen["status"] == 200
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    directives = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
