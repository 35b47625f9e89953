"""Shared pytest fixtures and the rules for PostgreSQL-only and browser tests.

- `@pytest.mark.postgres`: skipped with a visible reason on SQLite, FAILS instead when REQUIRE_POSTGRES=1.
- Browser tests (tests/e2e) skip when no Chromium is found, and FAIL instead when REQUIRE_BROWSER=1.
- `@pytest.mark.compliance`: the rules of internet diagnosis (issue 20, docs/compliance.md) that gate whole
  flows run for real. Every other test — about booking mechanics, reminders, pharmacy stock … — runs with the
  follow-up-only-online check of booking, the doctor's online-qualification check at consultation start and
  the doctor's follow-up confirmation before an online prescription switched off (`_compliance_gates`), so
  it needs no in-person history or doctor credentials it does not test. Validity, quantity limits, control
  classes, signatures and pharmacist review always run.
"""
from __future__ import annotations

import os

import pytest
from django.conf import settings


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not on_postgres():
        reason = "needs PostgreSQL: set DATABASE_URL=postgres://… (row locks and constraints under concurrency)"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but the database is not PostgreSQL; {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _private_media(tmp_path, settings):  # type: ignore[no-untyped-def]
    """Uploaded files of a test go to its own temporary directory."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    # Django's test set-up swaps EMAIL_BACKEND for locmem; keep our outbox in the path so tests exercise
    # it (delivery then goes to locmem through EMAIL_DELIVERY_BACKEND).
    settings.EMAIL_BACKEND = "accounts.mail.OutboxEmailBackend"
    return


@pytest.fixture(autouse=True)
def _compliance_gates(request, monkeypatch):  # type: ignore[no-untyped-def]
    if request.node.get_closest_marker("compliance"):
        return
    monkeypatch.setattr("consult.services.booking.online_booking_check", lambda **kwargs: None)
    monkeypatch.setattr("consult.services.booking.online_consultation_start_check", lambda **kwargs: None)
    # prescriptions in online encounters: as if the follow-up were confirmed (rx_rules reads this at call time)
    monkeypatch.setattr("consult.services.followup.followup_confirmed_code", lambda **kwargs: "")


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    """allauth's rate-limit counters and TOTP replay marks live in the cache (Redis when REDIS_URL is set):
    without this, ten failed log-ins in one test throttle every later log-in from 127.0.0.1."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api_client():  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def patient(db):  # type: ignore[no-untyped-def]
    from tests.factories import PatientFactory

    return PatientFactory()


@pytest.fixture
def doctor(db):  # type: ignore[no-untyped-def]
    from tests.factories import DoctorFactory

    return DoctorFactory()


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    from tests.factories import AdminFactory

    return AdminFactory()


@pytest.fixture
def with_mfa():  # type: ignore[no-untyped-def]
    """Give a staff user a TOTP authenticator so REQUIRE_STAFF_MFA lets them through."""
    from tests.factories import give_totp

    return give_totp
