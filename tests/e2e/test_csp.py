"""The Content-Security-Policy in a real browser: an injected inline script does not run and its violation reaches
the console, where conftest's listener records it (and would fail the test at teardown); the pages' own scripts,
now static files, still work (the language switcher submits on change)."""
from __future__ import annotations


def test_an_inline_script_is_blocked_and_reported(page, csp_violations):
    page.goto("/accounts/login/")
    # When a script is injected inline (what an XSS would do)
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__injected = true;"; document.head.appendChild(s); }""")
    page.wait_for_timeout(300)
    # Then it did not run, and the violation reached the listener
    assert page.evaluate("() => window.__injected === undefined")
    assert any("Content Security Policy" in message for message in csp_violations), csp_violations
    csp_violations.clear()  # seen: this test wanted it


def test_the_language_switcher_works_without_inline_handlers(page, csp_violations):
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.get_by_test_id("language-select").select_option("zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert csp_violations == []
