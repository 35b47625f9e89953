"""One test per rule of the access policy (accounts/policy/rules.py, docs/security.md): the care relation and its
window, a cancelled appointment, shared-care grants and their revocation, the proxy relation, break-glass with and
without a reason, the pharmacist's queue, the counsellor's cohort, the administrator. Each refusal writes exactly
one `denied` audit row."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts import policy
from accounts.models import AuditAction, AuditEvent, BreakGlassAccess, CareGrant, FamilyLink, Notification
from accounts.services import (
    break_glass_open,
    break_glass_review,
    care_grant_create,
    care_grant_revoke,
)
from consult.services.booking import appointment_cancel
from records.selectors.records import allergies_of, record_patient_for
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.factories import (
    AdminFactory,
    CounsellorFactory,
    DoctorFactory,
    PatientFactory,
    PharmacistFactory,
)
from tests.records.factories import EncounterFactory

pytestmark = pytest.mark.django_db


def denied_rows(**filters):  # type: ignore[no-untyped-def]
    return AuditEvent.objects.filter(action=AuditAction.DENIED, **filters)


def fresh(user):  # type: ignore[no-untyped-def]
    """The same person on a new request (decisions are remembered per request on the user object)."""
    return type(user).objects.get(pk=user.pk)


# --- the care relation -------------------------------------------------------------------------------------

def test_an_encounter_opens_the_record_for_the_window_and_not_after(settings):
    settings.CARE_RELATION_DAYS = 365
    patient, doctor = PatientFactory(), DoctorFactory()
    EncounterFactory(patient=patient, doctor=doctor, occurred_at=timezone.now() - dt.timedelta(days=300))
    decision = policy.patient_record(doctor, patient.pk)
    assert (decision.allowed, decision.rule) == (True, "care_relation")
    later = timezone.now() + dt.timedelta(days=66)  # 366 days after the contact
    assert policy.patient_record(fresh(doctor), patient.pk, now=later).reason == "no_care_relation"


def test_the_window_is_a_setting(settings):
    patient, doctor = PatientFactory(), DoctorFactory()
    EncounterFactory(patient=patient, doctor=doctor, occurred_at=timezone.now() - dt.timedelta(days=40))
    settings.CARE_RELATION_DAYS = 30
    assert not policy.patient_record(doctor, patient.pk)
    settings.CARE_RELATION_DAYS = 60
    assert policy.patient_record(fresh(doctor), patient.pk)


def test_a_booked_future_appointment_is_a_care_relation():
    patient, doctor = PatientFactory(), DoctorFactory()
    AppointmentFactory(patient=patient, slot=SlotFactory(doctor=doctor))
    assert policy.patient_record(doctor, patient.pk).rule == "care_relation"


def test_a_cancelled_appointment_is_no_care_relation():
    # Given a patient whose only contact with the doctor is an appointment they then cancel
    patient, doctor = PatientFactory(), DoctorFactory()
    appointment = AppointmentFactory(patient=patient, slot=SlotFactory(
        doctor=doctor, start=timezone.now() + dt.timedelta(days=3), end=timezone.now() + dt.timedelta(days=3, minutes=20)))
    assert policy.patient_record(doctor, patient.pk)
    appointment_cancel(user=patient, appointment_id=appointment.pk)
    # Then the doctor is refused (audited) as for any stranger's record
    before = denied_rows().count()
    with pytest.raises(policy.AccessRefused):
        record_patient_for(user=fresh(doctor), patient_id=patient.pk)
    row = denied_rows().get()
    assert denied_rows().count() == before + 1
    assert (row.actor_id, row.subject_id, row.detail["reason"]) == (doctor.pk, patient.pk, "no_care_relation")


def test_the_leak_of_the_probe_is_closed_encounters_of_a_cancelled_only_doctor():
    """The outside probe's three leaks: a doctor whose only appointment was cancelled read and edited another
    doctor's encounter of the patient."""
    from django.test import Client

    from tests.factories import give_totp

    patient, doctor, other = PatientFactory(), DoctorFactory(), DoctorFactory()
    encounter = EncounterFactory(patient=patient, doctor=doctor)
    appointment = AppointmentFactory(patient=patient, slot=SlotFactory(doctor=other))
    appointment.status = "cancelled"
    appointment.save(update_fields=["status"])
    from consult.services.care import care_refresh

    care_refresh(patient_id=patient.pk, doctor_id=other.pk)
    give_totp(other)
    client = Client()
    client.force_login(other)
    assert client.get(f"/api/consult/encounters/{encounter.pk}/").status_code == 404
    assert client.get(f"/encounters/{encounter.pk}/").status_code == 404
    assert client.post(f"/encounters/{encounter.pk}/", {"plan": "x"}).status_code == 405
    encounter.refresh_from_db()
    assert encounter.plan == ""
    assert denied_rows(actor=other).count() == 2


# --- the proxy relation ------------------------------------------------------------------------------------

def test_a_patient_acts_for_their_family_members_only():
    parent, child, stranger = PatientFactory(), PatientFactory(), PatientFactory()
    FamilyLink.objects.create(principal=parent, member=child, relationship="child")
    assert policy.patient_record(parent, child.pk).rule == "proxy"
    assert policy.patient_record(parent, parent.pk).rule == "self"
    assert policy.patient_record(child, parent.pk).reason == "not_own"
    assert policy.patient_record(stranger, child.pk).reason == "not_own"
    assert list(allergies_of(actor=parent, patient=child)) == []
    with pytest.raises(policy.AccessRefused):
        allergies_of(actor=stranger, patient=child)
    assert denied_rows(actor=stranger, subject=child).count() == 1


# --- shared care -------------------------------------------------------------------------------------------

def test_a_patient_shares_the_record_with_a_doctor_and_revokes_it():
    patient, specialist = PatientFactory(), DoctorFactory()
    assert not policy.patient_record(specialist, patient.pk)
    grant = care_grant_create(actor=patient, patient_id=patient.pk, doctor_id=specialist.pk, reason="second opinion")
    assert policy.patient_record(fresh(specialist), patient.pk).rule == "shared_care"
    assert AuditEvent.objects.filter(action=AuditAction.GRANT, subject=patient).count() == 1
    assert Notification.objects.filter(user=specialist, kind="care_grant").count() == 1
    care_grant_revoke(actor=patient, grant_id=grant.pk)
    assert not policy.patient_record(fresh(specialist), patient.pk)
    assert AuditEvent.objects.filter(action=AuditAction.REVOKE, subject=patient).count() == 1


def test_a_treating_doctor_may_share_but_a_doctor_with_only_a_grant_may_not_pass_it_on():
    patient, treating, colleague, third = PatientFactory(), DoctorFactory(), DoctorFactory(), DoctorFactory()
    EncounterFactory(patient=patient, doctor=treating)
    care_grant_create(actor=treating, patient_id=patient.pk, doctor_id=colleague.pk)
    assert policy.patient_record(colleague, patient.pk).rule == "shared_care"
    with pytest.raises(policy.AccessRefused):
        care_grant_create(actor=fresh(colleague), patient_id=patient.pk, doctor_id=third.pk)
    assert not CareGrant.objects.filter(doctor=third).exists()
    assert denied_rows(actor=colleague, object_type="care_grant").count() == 1


def test_a_grant_that_expired_opens_nothing():
    patient, doctor = PatientFactory(), DoctorFactory()
    grant = care_grant_create(actor=patient, patient_id=patient.pk, doctor_id=doctor.pk,
                              expires_at=timezone.now() + dt.timedelta(days=1))
    assert policy.patient_record(doctor, patient.pk)
    assert not policy.patient_record(fresh(doctor), patient.pk, now=grant.expires_at + dt.timedelta(seconds=1))


def test_someone_else_cannot_revoke_a_grant():
    patient, doctor, stranger = PatientFactory(), DoctorFactory(), PatientFactory()
    grant = care_grant_create(actor=patient, patient_id=patient.pk, doctor_id=doctor.pk)
    with pytest.raises(policy.AccessRefused):
        care_grant_revoke(actor=stranger, grant_id=grant.pk)
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert denied_rows(actor=stranger, subject=patient).count() == 1


# --- break-glass -------------------------------------------------------------------------------------------

def test_break_glass_with_a_reason_opens_the_record_to_read_only_for_a_while(settings):
    settings.BREAK_GLASS_MINUTES = 60
    patient, doctor = PatientFactory(), DoctorFactory()
    access = break_glass_open(actor=doctor, patient_id=patient.pk, reason="Unconscious in the emergency room")
    assert access.expires_at - access.opened_at == dt.timedelta(minutes=60)
    doctor = fresh(doctor)
    assert policy.patient_record(doctor, patient.pk).rule == "break_glass"
    assert not policy.patient_record(doctor, patient.pk, policy.Action.WRITE)
    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert (event.actor_id, event.subject_id, event.detail["reason"]) == (
        doctor.pk, patient.pk, "Unconscious in the emergency room")
    assert Notification.objects.filter(user=patient, kind="break_glass").count() == 1
    assert not policy.patient_record(fresh(doctor), patient.pk, now=access.expires_at + dt.timedelta(seconds=1))


def test_break_glass_without_a_reason_is_refused_and_audited():
    patient, doctor = PatientFactory(), DoctorFactory()
    with pytest.raises(policy.RefusedInvalid):
        break_glass_open(actor=doctor, patient_id=patient.pk, reason="  urgent  ")
    assert not BreakGlassAccess.objects.exists()
    row = denied_rows().get()
    assert (row.actor_id, row.subject_id, row.detail["reason"]) == (doctor.pk, patient.pk, "reason_required")
    assert not policy.patient_record(fresh(doctor), patient.pk)


def test_only_doctors_and_admins_break_glass_and_admins_review_it():
    patient, pharmacist, admin, doctor = PatientFactory(), PharmacistFactory(), AdminFactory(), DoctorFactory()
    with pytest.raises(policy.RoleRefused):
        break_glass_open(actor=pharmacist, patient_id=patient.pk, reason="I would like to see it please")
    assert denied_rows(actor=pharmacist).count() == 1
    access = break_glass_open(actor=doctor, patient_id=patient.pk, reason="Anaphylaxis on the ward, no records")
    with pytest.raises(policy.RoleRefused):
        break_glass_review(actor=doctor, access_id=access.pk, note="fine")
    reviewed = break_glass_review(actor=admin, access_id=access.pk, note="Checked with the ward")
    assert (reviewed.reviewed_by_id, reviewed.review_note) == (admin.pk, "Checked with the ward")


def test_an_administrator_reads_clinical_content_only_by_break_glass():
    patient, admin = PatientFactory(), AdminFactory()
    assert policy.patient_record(admin, patient.pk).reason == "no_clinical_access"
    break_glass_open(actor=admin, patient_id=patient.pk, reason="Court order received, urgent release")
    assert policy.patient_record(fresh(admin), patient.pk).rule == "break_glass"


# --- pharmacist and counsellor -----------------------------------------------------------------------------

def test_a_pharmacist_sees_an_order_only_while_it_is_in_the_queue():
    from pharmacy.selectors import order_get_for, order_review_context
    from pharmacy.services import cart_item_add, order_checkout, order_pay
    from tests.pharmacy.factories import ADDRESS, make_drug

    patient, pharmacist = PatientFactory(), PharmacistFactory()
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    with pytest.raises(policy.AccessRefused):
        order_get_for(user=pharmacist, order_id=order.pk)
    assert denied_rows(actor=pharmacist).count() == 1
    order_pay(actor=patient, order_id=order.pk)
    seen = order_get_for(user=fresh(pharmacist), order_id=order.pk)
    assert order_review_context(actor=pharmacist, order=seen) == {"allergies": []}
    assert not policy.patient_record(pharmacist, patient.pk)


def test_a_counsellor_sees_students_of_their_cohorts_only():
    from tests.portraits.factories import StudentFactory

    counsellor = CounsellorFactory(profile__colleges=["Law"], profile__grades=["2023"])
    mine, theirs = StudentFactory(college="Law", grade="2023"), StudentFactory(college="Law", grade="2024")
    assert policy.counsellor_student(counsellor, college=mine.college, grade=mine.grade).rule == "counsellor_cohort"
    assert policy.counsellor_student(counsellor, college=theirs.college, grade=theirs.grade).reason == "not_in_cohort"
    assert policy.counsellor_student(DoctorFactory(), college="Law", grade="2023").reason == "role"
    assert policy.counsellor_student(AdminFactory(), college="Law", grade="2024").allowed


# --- the refusal function ----------------------------------------------------------------------------------

def test_the_refusal_function_writes_one_row_with_actor_object_action_and_reason():
    patient, stranger = PatientFactory(), DoctorFactory()
    with pytest.raises(policy.AccessRefused):
        record_patient_for(user=stranger, patient_id=patient.pk, action=policy.Action.WRITE)
    row = denied_rows().get()
    assert (row.actor_id, row.object_type, row.object_id, row.subject_id, row.outcome) == (
        stranger.pk, "health_record", str(patient.pk), patient.pk, "denied")
    assert row.detail == {"reason": "no_care_relation", "action": "write", "rule": "care_relation"}


def test_nothing_but_the_refusal_function_writes_denied_rows():
    """A source-level check: `AuditAction.DENIED` is written in exactly one place."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    writers = [str(p.relative_to(root)) for app in ("accounts", "consult", "pharmacy", "portraits", "rarecases")
               for p in (root / app).rglob("*.py") if "AuditAction.DENIED" in p.read_text(encoding="utf-8")
               or 'action="denied"' in p.read_text(encoding="utf-8")]
    assert writers == ["accounts/policy/refusal.py"]
