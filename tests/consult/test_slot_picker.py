"""The slot picker: a strip of days with morning / afternoon free places, then the chosen day's times."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consult.models import Slot
from consult.selectors.booking import slot_day_pick, slot_day_strip
from tests.consult.factories import SlotFactory
from tests.factories import DoctorFactory

pytestmark = pytest.mark.django_db


def at(day, hour: int, minute: int = 0) -> datetime:  # type: ignore[no-untyped-def]
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_strip_counts_morning_and_afternoon_per_local_day():
    today = timezone.localdate()
    d1, d2 = today + timedelta(days=1), today + timedelta(days=2)
    slots = [Slot(start=at(d1, 9)), Slot(start=at(d1, 11, 40)), Slot(start=at(d1, 12)), Slot(start=at(d2, 15)),
             Slot(start=at(today + timedelta(days=20), 9))]  # beyond the strip: not counted

    strip = slot_day_strip(slots, today=today, days=3)

    assert [(e["day"], e["morning"], e["afternoon"], e["total"]) for e in strip] == [
        (today, 0, 0, 0), (d1, 2, 1, 3), (d2, 0, 1, 1)]
    assert slot_day_pick(strip, None) == d1
    assert slot_day_pick(strip, d2.isoformat()) == d2
    assert slot_day_pick(strip, today.isoformat()) == d1  # a full day is not shown: the first free one is
    assert slot_day_pick(strip, "not-a-date") == d1
    assert slot_day_pick(slot_day_strip([], today=today, days=3), None) is None


def test_doctor_page_shows_the_strip_and_only_the_chosen_days_times(client):
    doctor = DoctorFactory()
    d1 = timezone.localdate() + timedelta(days=2)
    d2 = d1 + timedelta(days=1)
    morning = SlotFactory(doctor=doctor, start=at(d1, 9), end=at(d1, 9, 20))
    afternoon = SlotFactory(doctor=doctor, start=at(d1, 14), end=at(d1, 14, 20))
    other_day = SlotFactory(doctor=doctor, start=at(d2, 10), end=at(d2, 10, 20))
    url = reverse("consult:doctor_detail", args=[doctor.pk])

    html = client.get(url).content.decode()

    assert html.count('data-testid="day"') == 2  # two days with free places, linked
    assert re.findall(r'aria-current="date"[^>]*data-day="([0-9-]+)"', html) == [d1.isoformat()]
    assert f'value="{morning.pk}"' in html
    assert f'value="{afternoon.pk}"' in html
    assert f'value="{other_day.pk}"' not in html
    assert "Morning 1" in html
    assert "Afternoon 1" in html

    # Another day by a plain link (no script) and by htmx (only the picker comes back)
    plain = client.get(url, {"day": d2.isoformat()}).content.decode()
    assert f'value="{other_day.pk}"' in plain
    assert f'value="{morning.pk}"' not in plain
    partial = client.get(url, {"day": d2.isoformat()}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="slot-picker"')
    assert f'value="{other_day.pk}"' in partial
    assert "<html" not in partial


def test_doctor_page_in_chinese(client):
    doctor = DoctorFactory()
    d1 = timezone.localdate() + timedelta(days=2)
    SlotFactory(doctor=doctor, start=at(d1, 9), end=at(d1, 9, 20))
    html = client.get(reverse("consult:doctor_detail", args=[doctor.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "上午 1" in html
    assert "下午 0" in html
