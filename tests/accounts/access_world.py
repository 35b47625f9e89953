"""The world the generated access test attacks: one victim patient with an object of every kind, the victim's own
doctor (a real care relation), and the seven probe roles (anonymous, a second patient, two doctors without a
care relation — one whose only appointment with the victim was cancelled —, a pharmacist, a counsellor of another
cohort, the admin). Every piece of the victim's data carries a marker string, so a body that leaks it is caught."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import CareGrant, User
from tests.factories import (
    AdminFactory,
    CounsellorFactory,
    DoctorFactory,
    PatientFactory,
    PharmacistFactory,
    give_totp,
)

MARKERS = ("Victim Zhvqx", "zhvqxallergen", "Zhvqx complaint", "zhvqx measurement note", "Zhvqx scan",
           "zhvqx message", "Zhvqx Recipient", "zhvqxstudent")
PROBE_ROLES = ("anonymous", "patient", "doctor", "doctor_cancelled", "pharmacist", "counsellor", "admin")


@dataclass
class World:
    victim: User
    victim_doctor: User
    probes: dict[str, User | None]
    objects: dict[str, Any] = field(default_factory=dict)

    def id_of(self, kind: str) -> Any:
        obj = self.objects[kind]
        return getattr(obj, "pk", obj)


def build() -> World:
    from consult.models import (
        Appointment,
        AppointmentStatus,
        ConsultationMessage,
        ConsultationThread,
        FollowUpProposal,
        WaitlistEntry,
    )
    from consult.services.care import care_refresh
    from consult.services.schedules import schedule_add
    from pharmacy.models import CartItem, OrderStatus
    from pharmacy.services import cart_item_add, order_checkout, order_pay
    from portraits.models import Alert, InterventionRule, Result, Run, RunStatus
    from rarecases.models import Case, SimilarSearch
    from records.models import DoseReminder, ReminderPlan
    from records.services import records as record_services
    from tests.consult.factories import AppointmentFactory, SlotFactory
    from tests.pharmacy.factories import ADDRESS, make_drug, make_prescription_item
    from tests.portraits.factories import StudentFactory
    from tests.records.factories import EncounterFactory, icd

    victim = PatientFactory(full_name="Victim Zhvqx")
    doctor = DoctorFactory(full_name="Dr Victim's Own")
    probes: dict[str, User | None] = {
        "anonymous": None,
        "patient": PatientFactory(full_name="Probe Patient"),
        "doctor": DoctorFactory(full_name="Probe Doctor"),
        "doctor_cancelled": DoctorFactory(full_name="Probe Doctor Cancelled"),
        "pharmacist": PharmacistFactory(full_name="Probe Pharmacist"),
        "counsellor": CounsellorFactory(full_name="Probe Counsellor", profile__colleges=["Law"],
                                        profile__grades=["2021"]),
        "admin": AdminFactory(full_name="Probe Admin"),
    }
    for user in (doctor, *probes.values()):
        if user is not None and user.role != "patient":
            give_totp(user)
    w = World(victim=victim, victim_doctor=doctor, probes=probes)
    o = w.objects
    o["patient"] = victim
    o["doctor"] = doctor

    # The doctor whose only appointment with the victim was cancelled: no care relation.
    cancelled = AppointmentFactory(patient=victim, slot=SlotFactory(doctor=probes["doctor_cancelled"]))
    Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.CANCELLED)
    care_refresh(patient_id=victim.pk, doctor_id=probes["doctor_cancelled"].pk)

    appointment = AppointmentFactory(patient=victim, slot=SlotFactory(doctor=doctor), reason="Zhvqx complaint")
    o["appointment"] = appointment
    thread = ConsultationThread.objects.get_or_create(appointment=appointment)[0]
    o["consultation_message"] = ConsultationMessage.objects.create(
        thread=thread, sender=victim, body="zhvqx message", attachment_path="consult/none.pdf",
        attachment_name="zhvqx.pdf", attachment_type="application/pdf", attachment_size=10)
    encounter = EncounterFactory(patient=victim, doctor=doctor, chief_complaint="Zhvqx complaint",
                                 appointment=appointment)
    o["encounter"] = encounter
    allergy = record_services.allergy_add(actor=doctor, patient=victim, substance="zhvqxallergen")
    o["allergy"] = allergy
    o["problem"] = record_services.problem_add(doctor=doctor, patient=victim, code=icd("J02.9").code,
                                               note="Zhvqx complaint")
    record_services.observation_record(actor=victim, patient=victim, kind="heart_rate", value="72",
                                       note="zhvqx measurement note")
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 zhvqx", content_type="application/pdf")
    o["health_document"] = record_services.document_upload(actor=victim, patient=victim, title="Zhvqx scan",
                                                           kind="other", uploaded=pdf)

    drug = make_drug(rx=True)
    o["drug"] = drug
    item = make_prescription_item(patient=victim, doctor=doctor, drug=drug, quantity=5)
    o["prescription"] = item.prescription
    o["prescription_item"] = item
    plan = ReminderPlan.objects.create(item=item, patient=victim, times_of_day=["08:00", "20:00"],
                                       time_zone="Asia/Shanghai", starts_at=timezone.now(),
                                       ends_at=timezone.now() + dt.timedelta(days=5))
    o["reminder_plan"] = item  # the routes name a plan by its prescription item's id
    o["dose"] = DoseReminder.objects.create(plan=plan, item=item, patient=victim,
                                            scheduled_at=timezone.now() + dt.timedelta(hours=1))
    o["waitlist_entry"] = WaitlistEntry.objects.create(doctor=doctor, patient=victim, booked_by=victim,
                                                       reason="Zhvqx complaint")
    proposal = FollowUpProposal.objects.create(appointment=appointment, doctor=doctor, patient=victim)
    proposal.slots.set([SlotFactory(doctor=doctor)])
    o["follow_up"] = proposal
    o["schedule"] = schedule_add(doctor=doctor, weekday=2, start_time=dt.time(9), end_time=dt.time(10),
                                 slot_minutes=30)
    o["slot"] = SlotFactory(doctor=doctor)

    otc = make_drug()
    cart_item_add(patient=victim, drug_id=otc.pk, quantity=1)
    order = order_checkout(patient=victim, **{**ADDRESS, "recipient_name": "Zhvqx Recipient"})
    order_pay(actor=victim, order_id=order.pk)
    assert order.__class__.objects.get(pk=order.pk).status == OrderStatus.PAID  # in the pharmacists' queue
    o["order"] = order
    cart_item_add(patient=victim, drug_id=otc.pk, quantity=1)
    o["cart_item"] = CartItem.objects.get(cart__patient=victim)

    student = StudentFactory(pseudonym="zhvqxstudent" + "0" * 52, college="Clinical Medicine", grade="2024")
    run = Run.objects.create(kind="students", period="2025-1", status=RunStatus.DONE, n_students=1)
    o["portraits_run"] = run
    o["portraits_result"] = Result.objects.create(run=run, student=student, labels={"learning": "low"},
                                                  label_learning="low")
    rule = InterventionRule.objects.get_or_create(kind="failed_consecutive")[0]
    o["portraits_alert"] = Alert.objects.create(rule=rule, student=student, run=run, period="2025-1",
                                                detail={"failed": 2})
    o["care_grant"] = CareGrant.objects.create(patient=victim, doctor=DoctorFactory(), granted_by=victim)
    pku = {"code": "E70.0", "name_en": "Classical phenylketonuria", "name_zh": "经典型苯丙酮尿症"}
    o["rarecases_case"] = Case.objects.create(origin="here", title="A de-identified case", age_band="30-39",
                                              sex="female", codes=[pku], source_encounter=encounter,
                                              phenotypes=[{"id": "HP:0001250", "name": "Seizure"}],
                                              confirmed_by=doctor)
    # A similar-patient search belongs to the doctor who started it (its query is the case's phenotype).
    o["similar_search"] = SimilarSearch.objects.create(case=o["rarecases_case"], doctor=doctor,
                                                       query={"patient": {"id": "zhvqx"}})
    o["money"] = Decimal("1")
    return w


# How a URL's id names its object when the view does not say: the id's own name.
DEFAULT_KINDS = {
    "patient_id": "patient", "user_id": "patient", "appointment_id": "appointment",
    "message_id": "consultation_message", "encounter_id": "encounter", "entry_id": "waitlist_entry",
    "proposal_id": "follow_up", "schedule_id": "schedule", "allergy_id": "allergy", "problem_id": "problem",
    "prescription_id": "prescription", "dose_id": "dose", "document_id": "health_document",
    "doctor_id": "doctor", "run_id": "portraits_run", "result_id": "portraits_result", "alert_id": "portraits_alert",
    "case_id": "rarecases_case", "grant_id": "care_grant", "search_id": "similar_search",
}
