"""The alert inbox says what fired each alert as a sentence in the reader's language (portraits_tags.alert_detail),
from the detail every rule of portraits.analysis.rules stores; a detail it does not know is shown as key: value."""
from __future__ import annotations

import pandas as pd
import pytest
from django.utils import translation

from portraits.analysis.rules import DEFAULT_RULE_PARAMS, evaluate
from portraits.models import Alert, InterventionRule
from portraits.templatetags.portraits_tags import alert_detail


def _fired() -> dict[str, dict]:
    """One real detail per rule kind, from the rules themselves (so the page and the rules cannot drift apart)."""
    frame = pd.DataFrame({
        "exercise": [1.0, 9.0], "book_borrowing": [0.5, 9.0], "consumption_frequency": [10.0, 90.0],
        "single_amount": [5.0, 12.0], "failed:2023-1": [2, 0], "failed:2023-2": [1, 0], "score:2023-1": [80.0, 80.0],
        "score:2023-2": [60.0, 80.0], "last_counselling": [pd.Timestamp("2023-01-05").date(), None],
    }, index=["s1", "s2"])
    fired = evaluate(frame, DEFAULT_RULE_PARAMS, semesters=["2023-1", "2023-2"], end=pd.Timestamp("2023-07-31").date())
    return {kind: detail for sid, kind, detail in fired if sid == "s1"}


def _alert(kind: str, detail: dict) -> Alert:
    return Alert(rule=InterventionRule(kind=kind), detail=detail)


def test_every_rule_kind_reads_as_a_sentence_in_both_languages():
    fired = _fired()
    assert set(fired) == set(DEFAULT_RULE_PARAMS)
    expected_en = {
        "failed_consecutive": "2 failed course(s) in 2023-1, 1 in 2023-2",
        "exercise_score_drop": "exercise 1.0 times a month; weighted score down 25.0 %",
        "counselling_gap": "last counselling session 2023-01-05, 207 days ago",
        "low_borrowing": "0.5 books borrowed a month",
    }
    with translation.override("en"):
        for kind, text in expected_en.items():
            assert alert_detail(_alert(kind, fired[kind])) == text
        assert alert_detail(_alert("low_consumption", fired["low_consumption"])).startswith("canteen spending 50.0")
    with translation.override("zh-hans"):
        for kind, detail in fired.items():
            sentence = alert_detail(_alert(kind, detail))
            assert "{" not in sentence
            assert any("\u4e00" <= ch <= "\u9fff" for ch in sentence), (kind, sentence)


@pytest.mark.parametrize(("kind", "detail", "shown"), [
    ("some_future_rule", {"x": 1, "y": "z"}, "x: 1 · y: z"),
    ("low_borrowing", {"unexpected": 3}, "unexpected: 3"),
])
def test_an_unknown_rule_or_detail_is_shown_as_stored(kind, detail, shown):
    assert alert_detail(_alert(kind, detail)) == shown
