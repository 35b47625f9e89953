"""On a phone-sized screen (390 px wide) no page of the platform is wider than the screen, in English or Chinese:
wide tables scroll inside their own box, navigation and forms wrap. Pages as the demo data fills them (seed_demo),
for every role, logged in through the real form."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from consult.models import Appointment, Encounter
from portraits.models import Run

PHONE = {"width": 390, "height": 844}


def _pages() -> dict[str, list[str]]:
    patient = User.objects.get(email="patient@demo.medplatform.test")
    doctor = User.objects.get(email="doctor@demo.medplatform.test")
    appointment = Appointment.objects.filter(patient=patient).order_by("start").first()
    encounter = Encounter.objects.filter(doctor=doctor, appointment__isnull=False).first()
    run = Run.objects.filter(status="done", kind="students").first()
    return {
        "patient": ["/dashboard/", "/doctors/", f"/doctors/{doctor.pk}/", "/me/appointments/",
                    f"/appointments/{appointment.pk}/", "/records/", "/medication/", "/pharmacy/", "/pharmacy/cart/",
                    "/pharmacy/orders/", "/me/notifications/", "/me/family/", "/me/consents/", "/me/access-log/",
                    "/prescriptions/"],
        "doctor": ["/doctor/console/", "/doctor/schedule/", "/rarecases/", "/rarecases/candidates/",
                   f"/appointments/{encounter.appointment_id}/encounter/", "/records/"],
        "counsellor": ["/portraits/", "/portraits/alerts/", f"/portraits/runs/{run.pk}/",
                       f"/portraits/runs/{run.pk}/students/", "/portraits/import/"],
        "pharmacist": ["/pharmacy/console/", "/pharmacy/stock/"],
    }


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_no_page_is_wider_than_a_phone(new_page, live_server, login_as, locale):
    call_command("seed_demo", verbosity=0)
    too_wide = []
    visitor = new_page(locale=locale)  # the front door, not logged in
    visitor.set_viewport_size(PHONE)
    for path in ("/", "/doctors/"):
        assert visitor.goto(path).status == 200, ("visitor", path)
        width = visitor.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(("visitor", path, width))
    for role, paths in _pages().items():
        page = new_page(locale=locale)
        page.set_viewport_size(PHONE)
        login_as(page, live_server, User.objects.get(email=f"{role}@demo.medplatform.test"), password=DEMO_PASSWORD)
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, (role, path, response.status)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append((role, path, width))
    assert too_wide == []
