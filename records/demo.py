"""consult demo data: records side — allergies, problems, months of measurements, encounters with prescriptions
and medication reminders in every state (scheduled, sent, taken, skipped, missed; one plan paused; one allergy
override). Synthetic only. Idempotent: each part is skipped when its marker already exists. Drugs come from
pharmacy's catalogue (pharmacy.demo_catalogue, seeded before this); with an empty catalogue nothing that needs a
drug is created."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from consult.models import Encounter, ICD10Code

from .models import (
    OBSERVATION_SPECS,
    Allergy,
    DoseReminder,
    DoseStatus,
    Observation,
    ObservationKind,
    ObservationSource,
    Prescription,
    PrescriptionStatus,
    Problem,
    ReminderPlan,
)

PATIENT_EMAIL = "patient@demo.medplatform.test"
DOCTOR_EMAIL = "doctor@demo.medplatform.test"
MARK = "[demo]"
CODES = [("I10", "Essential (primary) hypertension", "特发性（原发性）高血压", "I10-I15"),
         ("E11.9", "Type 2 diabetes mellitus without complications", "2型糖尿病，无并发症", "E10-E14"),
         ("J02.9", "Acute pharyngitis, unspecified", "急性咽炎，未特指", "J00-J06")]


def _say(stdout, msg: str) -> None:  # type: ignore[no-untyped-def]
    if stdout is not None:
        stdout.write(msg)


def _codes() -> None:
    for code, en, zh, block in CODES:
        ICD10Code.objects.get_or_create(code=code, defaults={"name_en": en, "name_zh": zh, "block": block})


def _allergies_and_problems(patient: User, doctor: User) -> None:
    from .services.records import allergy_add, problem_add

    if not Allergy.objects.filter(patient=patient).exists():
        allergy_add(actor=doctor, patient=patient, substance="penicillin", reaction="hives, facial swelling",
                    severity="severe", note=MARK)
        allergy_add(actor=patient, patient=patient, substance="peanut", reaction="itchy mouth", severity="mild",
                    category="food", note=MARK)
        allergy_add(actor=doctor, patient=patient, substance="ibuprofen", reaction="stomach upset", severity="mild",
                    note=MARK)
    if not Problem.objects.filter(patient=patient).exists():
        problem_add(doctor=doctor, patient=patient, code="I10", onset_date=dt.date(2023, 5, 1), note=MARK)
        problem_add(doctor=doctor, patient=patient, code="E11.9", onset_date=dt.date(2024, 9, 1), note=MARK)
        from .services.records import problem_resolve

        sore = problem_add(doctor=doctor, patient=patient, code="J02.9", note=MARK)
        problem_resolve(doctor=doctor, problem_id=sore.pk, patient=patient,
                        resolved_date=timezone.localdate() - dt.timedelta(days=80))


def _measurements(patient: User, doctor: User) -> int:
    """Six months of self-measurements (bulk insert; flags computed with the same ranges as the service)."""
    if Observation.objects.filter(patient=patient, note=MARK).exists():
        return 0
    rng = random.Random(2026)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    rows: list[Observation] = []

    def add(kind: str, when: dt.datetime, value: float, value2: float | None = None,
            source: str = ObservationSource.PATIENT) -> None:
        spec = OBSERVATION_SPECS[kind]
        v = Decimal(str(round(value, 1)))
        v2 = Decimal(str(round(value2))) if value2 is not None else None
        flagged = not spec.normal[0] <= v <= spec.normal[1]
        if v2 is not None and spec.normal2:
            flagged = flagged or not spec.normal2[0] <= v2 <= spec.normal2[1]
        rows.append(Observation(patient=patient, kind=kind, value=v, value2=v2, unit=spec.unit, effective_at=when,
                                source=source, is_out_of_range=flagged, note=MARK,
                                recorded_by=patient if source == ObservationSource.PATIENT else doctor))

    add(ObservationKind.HEIGHT, now - dt.timedelta(days=182), 163, source=ObservationSource.CLINICIAN)
    weight = 71.0
    for day in range(180, -1, -1):
        morning = now - dt.timedelta(days=day) - dt.timedelta(hours=now.hour - 7)
        # Blood pressure improves slowly after treatment starts (~90 days ago); a few high readings stay.
        trend = 148 - max(0, 90 - day) * 0.18 if day < 90 else 148
        if day % 2 == 0:
            add(ObservationKind.BLOOD_PRESSURE, morning, rng.gauss(trend, 6), rng.gauss(trend * 0.62, 4))
            add(ObservationKind.HEART_RATE, morning, rng.gauss(74, 5))
        if day % 7 == 0:
            weight += rng.gauss(-0.15, 0.3)
            add(ObservationKind.WEIGHT, morning, weight)
            add(ObservationKind.BMI, morning, weight / 1.63 ** 2)
        if day % 3 == 0:
            add(ObservationKind.GLUCOSE, morning, rng.gauss(7.2 if day > 60 else 6.3, 0.6))
        if day % 30 == 0:
            add(ObservationKind.SPO2, morning, min(100, rng.gauss(97, 1)))
            add(ObservationKind.TEMPERATURE, morning, rng.gauss(36.6, 0.2))
    # A laboratory panel and a waist measurement a month ago (inputs of the risk equations).
    lab_day = now - dt.timedelta(days=30)
    add(ObservationKind.TOTAL_CHOLESTEROL, lab_day, 5.6, source=ObservationSource.CLINICIAN)
    add(ObservationKind.HDL_CHOLESTEROL, lab_day, 1.2, source=ObservationSource.CLINICIAN)
    add(ObservationKind.WAIST, lab_day, 84, source=ObservationSource.CLINICIAN)
    Observation.objects.bulk_create(rows, batch_size=500)
    from .services.risk import risk_refresh

    risk_refresh(patient_ids=[patient.pk])
    return len(rows)


def _encounter(patient: User, doctor: User, days_ago: int, complaint: str) -> Encounter:
    enc = Encounter.objects.filter(patient=patient, doctor=doctor, chief_complaint=complaint).first()
    if enc is None:
        enc = Encounter.objects.create(patient=patient, doctor=doctor, chief_complaint=complaint,
                                       occurred_at=timezone.now() - dt.timedelta(days=days_ago),
                                       assessment=MARK)
    from consult.services.care import care_contact_record

    care_contact_record(patient_id=patient.pk, doctor_id=doctor.pk, at=enc.occurred_at)
    return enc


def _drug(name: str):  # type: ignore[no-untyped-def]
    return apps.get_model("pharmacy", "Drug").objects.filter(generic_name_en=name, is_active=True).order_by("pk").first()


def _resign(rx_id: int) -> None:
    """Synthetic data only: a demo prescription moved into the past is signed again as written then (its doctor's
    signature covers the issue time and validity, so the move alone would show it as changed after signing)."""
    from .services.rx_rules import prescription_sign

    rx = Prescription.objects.get(pk=rx_id)
    prescription_sign(rx, list(rx.items.order_by("id")))


def _backdate_course(rx: Prescription, *, issued_days_ago: int, now: dt.datetime, rng: random.Random) -> None:
    """Move a freshly written demo prescription into the past and give its past doses realistic answers."""
    from .services.reminders import _generate

    issued = now - dt.timedelta(days=issued_days_ago)
    Prescription.objects.filter(pk=rx.pk).update(issued_at=issued, valid_until=issued + dt.timedelta(days=7))
    _resign(rx.pk)
    for item in rx.items.all():
        plan = ReminderPlan.objects.filter(item=item).first()
        if plan is None:
            continue
        _generate(plan, item, not_before=plan.starts_at)
        for dose in DoseReminder.objects.filter(item=item, scheduled_at__lt=now - dt.timedelta(hours=3)):
            r = rng.random()
            dose.status = DoseStatus.TAKEN if r < 0.8 else DoseStatus.SKIPPED if r < 0.88 else DoseStatus.MISSED
            dose.sent_at = dose.scheduled_at
            dose.responded_at = dose.scheduled_at + dt.timedelta(minutes=12) if dose.status != DoseStatus.MISSED else None
            dose.save(update_fields=["status", "sent_at", "responded_at"])


def _prescriptions(patient: User, doctor: User) -> int:
    from .services.prescriptions import prescription_create
    from .services.reminders import reminder_plan_pause, reminders_send_due

    if Prescription.objects.filter(patient=patient, note=MARK).exists():
        return 0
    amlodipine, metformin, amoxicillin = _drug("Amlodipine besylate"), _drug("Metformin hydrochloride"), _drug("Amoxicillin")
    atorvastatin = _drug("Atorvastatin calcium")
    if not (amlodipine and metformin):
        return 0  # pharmacy's catalogue is empty: nothing that needs a drug
    rng = random.Random(7)
    now = timezone.now()
    today = timezone.localdate()
    # 1. Three months ago: amlodipine for 30 days (completed course: taken / skipped / missed history).
    old = _encounter(patient, doctor, 90, "Headaches, high home blood pressure readings")
    # Hypertension and diabetes: long prescriptions for a chronic disease (up to 12 weeks, issue 20).
    rx1 = prescription_create(doctor=doctor, encounter_id=old.pk, note=MARK, chronic_long=True, items=[
        {"drug": amlodipine, "dose": Decimal("5"), "dose_unit": "mg", "route": "oral", "frequency": "once_daily",
         "times_of_day": ["08:00"], "start_date": today - dt.timedelta(days=90), "duration_days": 30, "quantity": 1,
         "instructions": "Same time every morning"}])
    _backdate_course(rx1, issued_days_ago=90, now=now, rng=rng)
    Prescription.objects.filter(pk=rx1.pk).update(status=PrescriptionStatus.COMPLETED)
    # 2. Five days ago: metformin twice daily for 30 days (history, one dose reminded now, future scheduled)
    #    and atorvastatin at night (reminders paused by the patient).
    recent = _encounter(patient, doctor, 5, "Diabetes review")
    items = [{"drug": metformin, "dose": Decimal("500"), "dose_unit": "mg", "route": "oral", "frequency": "twice_daily",
              "times_of_day": ["08:00", "20:00"], "start_date": today - dt.timedelta(days=5), "duration_days": 30,
              "quantity": 2, "instructions": "With breakfast and dinner"}]
    if atorvastatin:
        items.append({"drug": atorvastatin, "dose": Decimal("20"), "dose_unit": "mg", "route": "oral",
                      "frequency": "once_daily", "times_of_day": ["21:00"], "start_date": today - dt.timedelta(days=5),
                      "duration_days": 30, "quantity": 1})
    rx2 = prescription_create(doctor=doctor, encounter_id=recent.pk, note=MARK, items=items, chronic_long=True)
    _backdate_course(rx2, issued_days_ago=5, now=now, rng=rng)
    Prescription.objects.filter(pk=rx2.pk).update(valid_until=now + dt.timedelta(days=2))
    _resign(rx2.pk)
    first = rx2.items.order_by("pk").first()
    assert first is not None
    # the latest due dose of metformin is "sent" (reminded, awaiting an answer)
    due = DoseReminder.objects.filter(item=first, scheduled_at__lte=now, scheduled_at__gte=now - dt.timedelta(hours=3),
                                      status=DoseStatus.SCHEDULED).order_by("-scheduled_at").first()
    if due is None:
        due = DoseReminder.objects.filter(item=first, status=DoseStatus.TAKEN).order_by("-scheduled_at").first()
        if due is not None:
            DoseReminder.objects.filter(pk=due.pk).update(status=DoseStatus.SCHEDULED, sent_at=None, responded_at=None)
    reminders_send_due(now=now)
    if atorvastatin:
        statin = rx2.items.order_by("pk").last()
        assert statin is not None
        reminder_plan_pause(item_id=statin.pk, patient=patient, paused=True)
    # 3. Today: amoxicillin for a sore throat despite a penicillin allergy — blocked, then overridden with a reason.
    if amoxicillin:
        sore = _encounter(patient, doctor, 0, "Sore throat, fever 38.4 °C")
        prescription_create(doctor=doctor, encounter_id=sore.pk, note=MARK, items=[
            {"drug": amoxicillin, "dose": Decimal("500"), "dose_unit": "mg", "route": "oral",
             "frequency": "every_n_hours", "interval_hours": 8, "times_of_day": ["07:00"],
             "start_date": today + dt.timedelta(days=1), "duration_days": 5, "quantity": 1,
             "allergy_override_reason": "Demo: allergy label from childhood rash, negative skin test 2024; observed first dose."}])
    return Prescription.objects.filter(patient=patient, note=MARK).count()


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    patient = User.objects.filter(email=PATIENT_EMAIL).first()
    doctor = User.objects.filter(email=DOCTOR_EMAIL).first()
    if patient is None or doctor is None:
        return
    with transaction.atomic():
        _codes()
        _allergies_and_problems(patient, doctor)
        n_obs = _measurements(patient, doctor)
        n_rx = _prescriptions(patient, doctor)
    _say(stdout, f"records: {n_obs} measurements, {n_rx} prescriptions added\n")
