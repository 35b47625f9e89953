"""A doctor removing weekly hours is asked first (the page's confirmation, in the doctor's language); saying no
keeps them, saying yes removes them and their unbooked future slots."""
from __future__ import annotations

import datetime as dt

from consult.models import WeeklySchedule
from consult.services.schedules import schedule_add
from tests.factories import DoctorFactory


def test_removing_weekly_hours_asks_first(new_page, live_server, login_as):
    doctor = DoctorFactory()
    schedule_add(doctor=doctor, weekday=2, start_time=dt.time(9), end_time=dt.time(10), slot_minutes=30, kind="online")
    page = new_page(locale="zh-Hans")
    login_as(page, live_server, doctor)
    page.goto("/doctor/schedule/")
    asked = []

    def answer(dialog, accept):  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, accept=False))
    page.get_by_role("button", name="删除").click()
    page.wait_for_timeout(300)
    assert asked == ["删除这段每周出诊时间？已被预约的号源会保留。"]
    assert WeeklySchedule.objects.filter(doctor=doctor, is_active=True).count() == 1

    page.once("dialog", lambda d: answer(d, accept=True))
    with page.expect_navigation():
        page.get_by_role("button", name="删除").click()
    assert len(asked) == 2
    assert WeeklySchedule.objects.filter(doctor=doctor, is_active=True).count() == 0
