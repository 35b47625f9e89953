"""Demo data of consult's booking side (synthetic people only). Idempotent: a second run changes nothing.

Departments and doctors, the ICD-10 list, weekly schedules and their slots, past appointments with
encounters and diagnoses, a closed online consultation with messages, upcoming bookings (also for the
demo child), and a queue for today in doctor@'s console.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_create

from .models import (
    ONLINE_KINDS,
    Appointment,
    AppointmentPayment,
    AppointmentStatus,
    ConsultationThread,
    Department,
    ICD10Code,
    Slot,
    SlotKind,
    WeeklySchedule,
)
from .services import payments
from .services.consultation import message_post, thread_close
from .services.encounters import encounter_record
from .services.icd10 import icd10_load
from .services.schedules import slots_generate

DEPARTMENTS = [
    ("internal-medicine", "Internal Medicine", "内科"),
    ("paediatrics", "Paediatrics", "儿科"),
    ("cardiology", "Cardiology", "心内科"),
    ("dermatology", "Dermatology", "皮肤科"),
    ("endocrinology", "Endocrinology", "内分泌科"),
    ("neurology", "Neurology", "神经内科"),
]
DOCTORS = [
    ("doctor@demo.medplatform.test", "internal-medicine", None, "Respiratory infections, hypertension"),
    ("dr.wang@demo.medplatform.test", "paediatrics", "Dr Demo Wang 王医生", "Childhood asthma, fever · 儿童哮喘、发热"),
    ("dr.chen@demo.medplatform.test", "cardiology", "Dr Demo Chen 陈医生", "Hypertension, arrhythmia · 高血压、心律失常"),
    ("dr.zhao@demo.medplatform.test", "endocrinology", "Dr Demo Zhao 赵医生", "Diabetes, thyroid disease · 糖尿病、甲状腺疾病"),
]
# (weekday, start, end, minutes, kind) for every demo doctor: mornings online, afternoons in person.
WEEK = [(d, time(9), time(12), 20, SlotKind.ONLINE) for d in range(5)] + [
    (d, time(14), time(17), 30, SlotKind.IN_PERSON) for d in (0, 2, 4)]
QUEUE_PATIENTS = [
    ("queue1@demo.medplatform.test", "Demo Patient Li 示例患者李", "male", date(1975, 3, 2)),
    ("queue2@demo.medplatform.test", "Demo Patient Zhou 示例患者周", "female", date(1992, 7, 19)),
    ("queue3@demo.medplatform.test", "Demo Patient Sun 示例患者孙", "female", date(1960, 11, 5)),
    ("queue4@demo.medplatform.test", "Demo Patient Wu 示例患者吴", "male", date(2001, 1, 23)),
]


def _say(stdout, text: str) -> None:  # type: ignore[no-untyped-def]
    if stdout is not None:
        stdout.write(text)


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _slot(doctor: User, start: datetime, minutes: int, kind: str) -> Slot:
    slot, _ = Slot.objects.get_or_create(doctor=doctor, start=start,
                                         defaults={"end": start + timedelta(minutes=minutes), "kind": kind})
    return slot


def _appointment(slot: Slot, patient: User, booked_by: User, reason: str, status: str, symptoms: str = "") -> Appointment:
    """Demo history is written directly: the booking service (rightly) refuses slots in the past."""
    appointment = Appointment.objects.create(
        slot=slot, patient=patient, booked_by=booked_by, doctor=slot.doctor, start=slot.start, end=slot.end,
        kind=slot.kind, status=status, reason=reason, symptoms=symptoms)
    if slot.kind in ONLINE_KINDS:
        ConsultationThread.objects.create(appointment=appointment)
    fee = payments.fee_of(slot.doctor)
    if fee and status != "cancelled":
        # Demo visits were paid with the default (offline) provider, as the pay page would have recorded it.
        Appointment.objects.filter(pk=appointment.pk).update(fee=fee, paid_at=timezone.now())
        AppointmentPayment.objects.create(appointment=appointment, provider="offline", amount=fee,
                                          idempotency_key=f"demo-{appointment.pk}",
                                          reference=f"offline-appointment-{appointment.pk}")
    if status != "cancelled":
        from .services.care import care_contact_record

        care_contact_record(patient_id=patient.pk, doctor_id=slot.doctor_id, at=slot.start)
    return appointment


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    from accounts.demo import DEMO_PASSWORD

    for code, en, zh in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name_en": en, "name_zh": zh})
    for i, (email, dept, name, specialties) in enumerate(DOCTORS):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(email=email, password=DEMO_PASSWORD, role=Role.DOCTOR, full_name=name or email,
                               profile={"licence_number": f"DEMO-DOC-{i + 1:04d}", "title": "Attending physician · 主治医师",
                                        "fee": "60.00", "specialties": specialties})
        profile = user.doctor_profile
        if profile.department_id is None:
            profile.department = Department.objects.get(code=dept)
            profile.save(update_fields=["department"])
        if not WeeklySchedule.objects.filter(doctor=user).exists():
            WeeklySchedule.objects.bulk_create([
                WeeklySchedule(doctor=user, weekday=d, start_time=s, end_time=e, slot_minutes=m, kind=k)
                for d, s, e, m, k in WEEK])
    if ICD10Code.objects.count() < 10000:
        total, zh = icd10_load()
        _say(stdout, f"consult: loaded {total} ICD-10 codes ({zh} with Chinese names)")
    created = slots_generate()
    if created:
        _say(stdout, f"consult: generated {created} slots")
    for email, name, sex, dob in QUEUE_PATIENTS:
        if not User.objects.filter(email=email).exists():
            user_create(email=email, password=DEMO_PASSWORD, role=Role.PATIENT, full_name=name,
                        profile={"sex": sex, "date_of_birth": dob, "region": "Zhejiang"})
    patient = _user("patient@demo.medplatform.test")
    if Appointment.objects.filter(booked_by=patient).exists():
        return  # the history below was seeded before
    _seed_history(patient)
    _say(stdout, "consult: demo appointments, consultation and encounters created")


def _seed_history(patient: User) -> None:
    tz = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate(timezone=tz)
    lin, wang, zhao = (_user("doctor@demo.medplatform.test"), _user("dr.wang@demo.medplatform.test"),
                       _user("dr.zhao@demo.medplatform.test"))
    child = patient.family_links.first().member if patient.family_links.exists() else patient

    # A past in-person visit with an encounter (URTI + cough).
    past = _appointment(_slot(lin, datetime.combine(today - timedelta(days=30), time(14), tzinfo=tz), 30,
                              SlotKind.IN_PERSON), patient, patient, "Sore throat and cough", AppointmentStatus.COMPLETED,
                        "Sore throat for 3 days, dry cough, no fever")
    encounter_record(doctor=lin, appointment_id=past.pk, diagnoses=["J06.9", "R05"], notes={
        "chief_complaint": "Sore throat and dry cough for 3 days", "history": "No fever. Non-smoker.",
        "findings": "Pharynx red, lungs clear, T 36.9 °C", "assessment": "Viral upper respiratory infection",
        "plan": "Fluids, rest, lozenges; return if fever or breathlessness"})

    # A past online consultation with messages, closed with a summary, and its encounter.
    online = _appointment(_slot(zhao, datetime.combine(today - timedelta(days=14), time(9, 20), tzinfo=tz), 20,
                                SlotKind.ONLINE), patient, patient, "Raised blood sugar at a health check",
                          AppointmentStatus.IN_PROGRESS, "Fasting glucose 7.4 mmol/L, thirsty")
    at = online.start
    message_post(user=patient, appointment_id=online.pk, now=at,
                 body="Hello doctor, my fasting glucose was 7.4 mmol/L at a check-up. 医生您好，体检空腹血糖 7.4。")
    message_post(user=zhao, appointment_id=online.pk, now=at,
                 body="Thank you. Any thirst, weight loss, or family history of diabetes? What was your HbA1c?")
    message_post(user=patient, appointment_id=online.pk, now=at,
                 body="Some thirst. My father has type 2 diabetes. HbA1c 6.9 %. Blood pressure was 146/92.")
    message_post(user=zhao, appointment_id=online.pk, now=at,
                 body="These fit early type 2 diabetes and high blood pressure. I will write a plan below.")
    thread_close(doctor=zhao, appointment_id=online.pk, now=at + timedelta(minutes=18), summary=(
        "Early type 2 diabetes and raised blood pressure. Diet and exercise plan; metformin 500 mg twice daily "
        "with meals; home blood pressure log; review with HbA1c in 3 months. "
        "早期2型糖尿病伴血压偏高：饮食运动，二甲双胍 500 mg 每日两次随餐，居家测血压，3 个月后复查。"))
    encounter_record(doctor=zhao, appointment_id=online.pk, diagnoses=["E11.9", "I10"], notes={
        "chief_complaint": "Raised fasting glucose", "history": "Father with type 2 diabetes; thirst",
        "findings": "Fasting glucose 7.4 mmol/L, HbA1c 6.9 %, BP 146/92", "assessment": "Type 2 diabetes; hypertension",
        "plan": "Lifestyle, metformin, BP log, HbA1c in 3 months"})

    # Upcoming: an online follow-up with Dr Zhao, and the child's in-person visit with Dr Wang.
    for doctor, who, reason, kind in ((zhao, patient, "Diabetes follow-up", SlotKind.ONLINE),
                                      (wang, child, "Wheezing at night", SlotKind.IN_PERSON)):
        slot = Slot.objects.filter(doctor=doctor, kind=kind, start__gt=timezone.now() + timedelta(days=1),
                                   appointments__isnull=True).order_by("start").first()
        if slot is not None:
            _appointment(slot, who, patient, reason, AppointmentStatus.BOOKED)

    # Today's queue in doctor@'s console, spread over the day whatever time it is now.
    now = timezone.now()
    queue = [(-60, AppointmentStatus.COMPLETED, SlotKind.IN_PERSON, "Blood pressure review"),
             (-10, AppointmentStatus.IN_PROGRESS, SlotKind.ONLINE, "Cough for two weeks"),
             (5, AppointmentStatus.CHECKED_IN, SlotKind.IN_PERSON, "Headache"),
             (10, AppointmentStatus.BOOKED, SlotKind.ONLINE, "Rash on the arms"),
             (120, AppointmentStatus.BOOKED, SlotKind.IN_PERSON, "Annual check-up"),
             # patient@'s video visit with doctor@ in 20 minutes: its room is open now (docs/consult.md)
             (20, AppointmentStatus.BOOKED, SlotKind.VIDEO, "Blood pressure follow-up by video")]
    others = [_user(e) for e, *_ in QUEUE_PATIENTS]
    # Anchor the queue at "now", moved just enough that the whole span (-60 … +120 minutes, 9-minute slots)
    # stays inside today: near midnight the entries keep their order and never share a slot.
    day_start = datetime.combine(today, time.min, tzinfo=tz)
    earliest, latest = day_start + timedelta(minutes=60), day_start + timedelta(days=1) - timedelta(minutes=130)
    anchor = min(max(now.replace(second=0, microsecond=0), earliest), latest)
    for i, (minutes, status, kind, reason) in enumerate(queue):
        start = anchor + timedelta(minutes=minutes)
        who = others[i % len(others)] if i < 4 else patient  # the last two: patient@'s
        _appointment(_slot(lin, start, 9, kind), who, who, reason, status)
