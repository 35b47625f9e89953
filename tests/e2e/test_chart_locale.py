"""End to end: the health record's chart speaks the page's language — month names on the time axis are Chinese on
a Chinese page (plotly's zh-CN locale, served from static/) and English on an English one."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from records.services.records import observation_record
from tests.factories import PatientFactory

ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
CHINESE_NUMERALS = re.compile(r"[一二三四五六七八九十]")


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_record_chart_month_names_follow_the_page_language(new_page, live_server, login_as, locale):
    # Given a patient with heart-rate readings over three months
    patient = PatientFactory()
    now = timezone.now()
    for days, value in ((80, 72), (40, 75), (5, 70)):
        observation_record(actor=patient, patient=patient, kind="heart_rate", value=value,
                           effective_at=now - dt.timedelta(days=days))
    page = new_page(locale=locale)
    login_as(page, live_server, patient)

    # When the record page draws its chart
    page.goto("/records/")
    ticks = page.locator("#records-chart .xtick text")
    expect(ticks.first).to_be_visible()
    labels = " ".join(ticks.all_text_contents())

    # Then the month names are the page's language
    if locale == "en":
        assert ENGLISH_MONTHS.search(labels), labels
    else:
        assert not ENGLISH_MONTHS.search(labels), labels
        assert CHINESE_NUMERALS.search(labels), labels
