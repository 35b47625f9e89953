"""Browser-test harness: Playwright (Python, sync API) driving the system Chromium against `live_server`.

Fixtures
- `browser` (session): one headless Chromium for the whole run.
- `page`: a fresh browser context + page per test (English), against pytest-django's `live_server`
  (transactional database: the server thread and the test see each other's commits).
- `new_page(locale="en")`: a factory for tests that need several independent browser contexts
  (e.g. a patient and a doctor at the same time).
- `login_as(page, live_server, user, password=PASSWORD)` (or `login_as(page, user)`): logs in through the real allauth form; staff users get a
  real TOTP authenticator (tests.factories.give_totp) and the current code is typed on allauth's
  "authenticate" page, because tests run with REQUIRE_STAFF_MFA=True.
- `mail_link(message)`: the first http link in a sent e-mail (pytest-django clears `mail.outbox` per test).

Every test in tests/e2e is marked `browser`. With no Chromium the tests skip with the reason shown;
with REQUIRE_BROWSER=1 they fail instead. On failure a full-page screenshot of every page the test
opened is written to test-artifacts/<test name>[-n].png.

Every page listens to its console: a Content-Security-Policy violation (a blocked inline script, handler or
style, a script or style from another origin) fails the test at teardown, listing each message
(docs/security.md "Browser hardening").
"""
from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a thread
# with a running loop unless this is set. Set before any test touches the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
# Generous: the shared 2-core machines run several suites at once (load averages above 10 were seen);
# a timeout only costs time when a test is failing anyway.
DEFAULT_TIMEOUT_MS = int(os.environ.get("E2E_TIMEOUT_MS", "30000"))
# What Chromium writes to the console when the Content-Security-Policy blocks something.
CSP_MARKER = "Content Security Policy"


def chromium_path() -> str | None:
    """The system Chromium (CHROMIUM_PATH overrides), or None when there is none."""
    if os.environ.get("CHROMIUM_PATH"):
        candidates = [os.environ["CHROMIUM_PATH"]]
    else:
        candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium"),
                      shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    # Remember each phase's report on the item, so fixtures can tell at teardown whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """One Playwright driver for the session (a second sync_playwright() in the same thread is refused): every
    browser of the suite is launched from it."""
    if chromium_path() is None:
        _skip_or_fail("no Chromium found (install the `chromium` package or set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a test extra
        _skip_or_fail("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def _failed(request: pytest.FixtureRequest) -> bool:
    node = request.node
    return any(getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


@pytest.fixture
def csp_violations() -> list[str]:
    """The Content-Security-Policy messages the test's pages wrote to their console (checked at teardown)."""
    return []


@pytest.fixture
def new_page(browser: Any, live_server: Any, request: pytest.FixtureRequest,
             csp_violations: list[str]) -> Iterator[Callable[..., Any]]:
    """Factory: `new_page(locale="en")` opens a page in a new, isolated browser context."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def on_console(message: Any) -> None:
        if CSP_MARKER in message.text:
            where = message.location.get("url", "") or getattr(message.page, "url", "")
            csp_violations.append(f"{message.type}: {message.text} ({where})")

    def make(locale: str = "en") -> Any:
        context = browser.new_context(base_url=live_server.url, locale=locale,
                                      extra_http_headers={"Accept-Language": locale})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS * 2)
        contexts.append(context)
        page = context.new_page()
        page.on("console", on_console)
        pages.append(page)
        return page

    yield make
    if _failed(request):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for index, page in enumerate(pages):
            suffix = f"-{index}" if index else ""
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - a closed page must not hide the real failure
                print(f"screenshot of {name}{suffix} failed: {exc}")
    for context in contexts:
        context.close()
    if csp_violations and not _failed(request):
        pytest.fail("Content-Security-Policy violations in the browser console:\n" + "\n".join(csp_violations),
                    pytrace=False)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A fresh English page in its own browser context; relative URLs resolve against live_server."""
    return new_page()


def _login(page: Any, base_url: str, user: Any, password: str) -> None:
    from django.core.cache import cache

    from accounts.models import STAFF_ROLES
    from tests.factories import TOTP_SECRET, give_totp, totp_code

    is_staff_role = user.role in STAFF_ROLES
    if is_staff_role:
        give_totp(user)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").first.click()
    if is_staff_role and "/accounts/2fa/authenticate" in page.url:
        # A code read in the last seconds of its 30-second period can expire before the server checks it
        # (allauth's tolerance is 0 periods): wait for a fresh period instead of failing spuriously.
        remaining = 30 - time.time() % 30
        if remaining < 4:
            time.sleep(remaining + 0.2)
        code = totp_code(TOTP_SECRET)
        # allauth refuses a TOTP code already used in this period (replay protection kept in the cache);
        # a test that logs the same user in twice within 30 s would otherwise fail spuriously.
        cache.delete(f"allauth.mfa.totp.used?user={user.pk}&code={code}")
        page.fill("input[name=code]", code)
        with page.expect_navigation():
            page.locator("form:has(input[name=code]) [type=submit]").first.click()
    if "/accounts/login" in page.url or "/accounts/2fa/authenticate" in page.url:
        raise AssertionError(f"log-in of {user.email} failed; still on {page.url}")


@pytest.fixture
def login_as(live_server: Any) -> Callable[..., None]:
    """Log in through the real allauth form (typing a real TOTP code for staff).

    Call as `login_as(page, live_server, user, password=PASSWORD)` or `login_as(page, user)`.
    """
    from tests.factories import PASSWORD

    def login(page: Any, *args: Any, password: str | None = None) -> None:
        server = live_server
        rest = list(args)
        if rest and hasattr(rest[0], "url") and not hasattr(rest[0], "email"):
            server = rest.pop(0)
        if not rest:
            raise TypeError("login_as(page, [live_server,] user, password=...) needs a user")
        user = rest.pop(0)
        if rest:
            password = rest.pop(0)
        _login(page, server.url, user, password or PASSWORD)

    return login


def mail_link(message: Any) -> str:
    """The first http(s) link in an e-mail's body."""
    match = re.search(r"https?://[^\s\"'<>]+", message.body)
    if match is None:
        raise AssertionError(f"no link in the e-mail {message.subject!r}:\n{message.body}")
    return match.group(0)
