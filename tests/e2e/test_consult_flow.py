"""End to end, in a real browser: a patient finds a doctor and books a slot; patient and doctor exchange
messages in the consultation (two browser contexts, htmx polling); the doctor records an encounter with
an ICD-10 diagnosis found by type-ahead and proposes a follow-up from the console; the patient accepts it."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from consult.models import Appointment, Encounter, FollowUpProposal
from tests.consult.factories import DepartmentFactory, ICD10CodeFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory


def test_find_book_consult_encounter_follow_up(new_page, live_server, login_as):
    # Given a doctor with a slot starting in 5 minutes and two free slots later in the week
    dept = DepartmentFactory(code="internal-medicine", name_en="Internal Medicine", name_zh="内科")
    doctor = DoctorFactory(full_name="Dr Test Lin")
    doctor.doctor_profile.department = dept
    doctor.doctor_profile.specialties = "Respiratory infections"
    doctor.doctor_profile.save()
    now = timezone.now().replace(second=0, microsecond=0)
    soon = SlotFactory(doctor=doctor, start=now + timedelta(minutes=5), end=now + timedelta(minutes=25))
    later = [SlotFactory(doctor=doctor, start=now + timedelta(days=d), end=now + timedelta(days=d, minutes=20))
             for d in (2, 3)]
    ICD10CodeFactory()  # J06.9 with its Chinese name
    patient = PatientFactory(full_name="Test Patient Wu")

    # When the patient finds the doctor by specialty and books the first slot
    me = new_page()
    login_as(me, live_server, patient)
    me.goto("/doctors/?q=respiratory")
    # (a new patient also sees the doctor under "Recommended for you"; the search result is the directory's link)
    me.locator("main").get_by_role("link", name="Dr Test Lin").last.click()
    me.locator(f"input[name=slot][value='{soon.pk}']").check()
    me.fill("input[name=reason]", "Sore throat")
    with me.expect_navigation():
        me.get_by_role("button", name="Book", exact=True).click()
    expect(me.get_by_test_id("status")).to_have_text("Booked")
    appointment = Appointment.objects.get(patient=patient)

    # ... opens the consultation and writes to the doctor
    me.get_by_role("button", name="Open the consultation").click()
    me.get_by_test_id("message-body").fill("My throat hurts since Monday")
    with me.expect_navigation():
        me.get_by_role("button", name="Send").click()

    # Then the doctor sees it and answers; the patient's page shows the answer without reloading
    doc = new_page()
    login_as(doc, live_server, doctor)
    doc.goto(f"/appointments/{appointment.pk}/consultation/")
    expect(doc.get_by_text("My throat hurts since Monday")).to_be_visible()
    doc.get_by_test_id("message-body").fill("Any fever? Please drink plenty of water.")
    with doc.expect_navigation():
        doc.get_by_role("button", name="Send").click()
    expect(me.get_by_text("Any fever? Please drink plenty of water.")).to_be_visible(timeout=20_000)

    # When the doctor records the encounter, finding the diagnosis by its Chinese name
    doc.goto(f"/appointments/{appointment.pk}/encounter/")
    doc.fill("#id_chief_complaint", "Sore throat for 3 days")
    doc.fill("#id_assessment", "Viral pharyngitis")
    doc.get_by_test_id("icd10-search").fill("上呼吸道")
    doc.get_by_test_id("icd10-option").first.click()
    expect(doc.locator("#id_diagnoses")).to_have_value("J06.9")
    expect(doc.get_by_test_id("chosen-codes")).to_contain_text("J06.9")  # the picked code, named, under the field
    doc.locator("#id_diagnoses").fill("")                                # deleted from the field: gone from the list
    expect(doc.get_by_test_id("chosen-codes")).not_to_contain_text("J06.9")
    doc.get_by_test_id("icd10-option").first.click()
    expect(doc.locator("#id_diagnoses")).to_have_value("J06.9")
    with doc.expect_navigation():
        doc.get_by_role("button", name="Save encounter").click()
    expect(doc.get_by_test_id("diagnoses")).to_contain_text("J06.9")
    encounter = Encounter.objects.get(appointment=appointment)
    assert list(encounter.diagnoses.values_list("code_id", flat=True)) == ["J06.9"]

    # ... and proposes a follow-up with one click in the console
    day = timezone.localtime(appointment.start).date().isoformat()
    doc.goto(f"/doctor/console/?day={day}&a={appointment.pk}")
    expect(doc.get_by_test_id("selected-patient")).to_have_text("Test Patient Wu")
    with doc.expect_navigation():
        doc.get_by_test_id("propose-follow-up").click()
    proposal = FollowUpProposal.objects.get(appointment=appointment)
    assert sorted(proposal.slots.values_list("pk", flat=True)) == [s.pk for s in later]

    # Then the patient accepts the second proposed time
    me.goto("/me/appointments/")
    follow_up = me.get_by_test_id("follow-up")
    follow_up.locator(f"input[value='{later[1].pk}']").check()
    with me.expect_navigation():
        follow_up.get_by_role("button", name="Accept").click()
    expect(me.get_by_test_id("status")).to_have_text("Booked")
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert (proposal.accepted_appointment.slot_id, proposal.accepted_appointment.follow_up_of_id) == (
        later[1].pk, appointment.pk)
