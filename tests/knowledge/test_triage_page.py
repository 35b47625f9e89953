from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.mark.django_db
def test_page_in_both_languages_shows_departments_or_emergency(client) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    response = client.post("/triage/", {"text": "Heartburn and acid reflux after meals", "age": 35, "sex": "female"},
                           HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-urgency="routine"' in html
    assert 'data-code="gastroenterology"' in html
    assert "not a diagnosis" in html

    response = client.post("/triage/", {"text": "今天早上吐血了，头晕", "age": 50, "sex": "male"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert 'data-urgency="emergency"' in html
    assert "拨打120" in html
    assert "呕血或黑便" in html
    assert "data-code=" not in html  # nothing to book in an emergency


@pytest.mark.django_db
def test_page_form_errors_change_nothing(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/triage/", {"text": "", "age": "", "sex": "x"})
    assert response.status_code == 200
    assert "triage-answer" not in response.content.decode()
