"""Pages and API: scoping (404 + audit), bad input in the user's language, bounded queries (no N+1)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from consult.models import Appointment, ConsultationMessage, Encounter, FollowUpProposal
from consult.services.booking import appointment_book
from consult.services.consultation import message_post
from consult.views.console import QUEUE_PAGE
from tests.consult.factories import AppointmentFactory, DepartmentFactory, ICD10CodeFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def doc(doctor):
    give_totp(doctor)
    return doctor


def _online(patient, doctor, minutes=5):
    slot = SlotFactory(doctor=doctor, start=timezone.now() + timedelta(minutes=minutes))
    return appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Rash")


def test_directory_is_public_and_bounded(client, django_assert_max_num_queries):
    dept = DepartmentFactory(code="cardiology", name_en="Cardiology", name_zh="心内科")
    for _ in range(3):
        d = DoctorFactory()
        d.doctor_profile.department = dept
        d.doctor_profile.save()
        SlotFactory(doctor=d)
    with django_assert_max_num_queries(6) as ctx:
        response = client.get(reverse("consult:directory"))
    few = len(ctx.captured_queries)
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="doctor-row"') == 3
    for _ in range(12):
        SlotFactory(doctor=DoctorFactory())
    with django_assert_max_num_queries(few):
        response = client.get(reverse("consult:directory"))
    assert response.content.decode().count('data-testid="doctor-row"') == 15
    # API too, and in Chinese.
    api = client.get(reverse("api-consult-doctors"), {"department": "cardiology"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert api.status_code == 200
    assert api.json()["count"] == 3
    assert api.json()["results"][0]["next_free_slot"] is not None
    page = client.get(reverse("consult:directory"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "心内科" in page.content.decode()


def test_patient_list_is_bounded(client, patient, django_assert_max_num_queries):
    client.force_login(patient)
    AppointmentFactory(patient=patient, booked_by=patient)
    with django_assert_max_num_queries(20) as ctx:
        assert client.get(reverse("consult:my_appointments")).status_code == 200
    baseline = len(ctx.captured_queries)
    for _ in range(10):
        AppointmentFactory(patient=patient, booked_by=patient)
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("consult:my_appointments"))
    assert response.content.decode().count('data-testid="appointment-row"') == 11
    with django_assert_max_num_queries(baseline):
        assert client.get(reverse("api-consult-appointments")).json()["count"] == 11


def test_console_is_bounded_and_shows_summary(client, doc, django_assert_max_num_queries):
    client.force_login(doc)
    now = timezone.localtime()
    base = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def add(i):  # type: ignore[no-untyped-def]
        slot = SlotFactory(doctor=doc, start=base + timedelta(minutes=10 * i + 1), end=base + timedelta(minutes=10 * i + 9))
        return AppointmentFactory(slot=slot)

    first = add(0)
    with django_assert_max_num_queries(40) as ctx:
        assert client.get(reverse("consult:console")).status_code == 200
    baseline = len(ctx.captured_queries)
    for i in range(1, 15):
        add(i)
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("consult:console"))
    assert response.content.decode().count("?a=") >= 15
    with django_assert_max_num_queries(baseline):
        api = client.get(reverse("api-consult-console"))
    assert sum(len(v) for v in api.json()["groups"].values()) == 15
    summary = client.get(reverse("consult:console"), {"a": first.pk})
    assert summary.context["selected"] == first
    assert 'data-testid="selected-patient"' in summary.content.decode()


def test_console_groups_in_sql_and_pages_each_group(client, doc, django_assert_max_num_queries):
    # Given a day (two days ahead, 09:00 local) with 60 upcoming appointments, one checked in, one in
    # consultation, one cancelled, and an online one with an open thread starting 5 minutes after "now"
    from consult.models import ConsultationThread
    from consult.selectors.console import console_queue, console_queue_counts

    day = timezone.localdate() + timedelta(days=2)
    nine = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=9)
    made = [
        AppointmentFactory(slot=SlotFactory(doctor=doc, start=nine + timedelta(hours=1, minutes=i),
                                            end=nine + timedelta(hours=1, minutes=i, seconds=50)))
        for i in range(63)
    ]
    Appointment.objects.filter(pk=made[60].pk).update(status="checked_in")
    Appointment.objects.filter(pk=made[61].pk).update(status="in_progress")
    Appointment.objects.filter(pk=made[62].pk).update(status="cancelled")
    soon = AppointmentFactory(slot=SlotFactory(doctor=doc, start=nine + timedelta(minutes=5),
                                               end=nine + timedelta(minutes=15)))
    ConsultationThread.objects.create(appointment=soon, status="open")

    # When the queue is read at 09:00 that day, with and without a per-group limit
    counts = console_queue_counts(doctor=doc, day=day, now=nine)
    limited = console_queue(doctor=doc, day=day, now=nine, limit=50)
    full = console_queue(doctor=doc, day=day, now=nine)

    # Then the counts are the whole day's, and the limited rows stop at 50 per group in start order
    assert counts == {"in_consultation": 1, "checked_in": 1, "waiting_online": 1, "upcoming": 60, "done": 1}
    assert {k: len(v) for k, v in full.items()} == counts
    assert [r["pk"] for r in limited["upcoming"]] == [a.pk for a in made[:50]]
    assert [r["pk"] for r in limited["waiting_online"]] == [soon.pk]
    assert [r["pk"] for r in limited["checked_in"]] == [made[60].pk]
    assert [r["pk"] for r in limited["done"]] == [made[62].pk]
    # And the page (read now, two days before: nobody is waiting yet) shows QUEUE_PAGE upcoming rows but the true
    # totals, in a bounded number of queries; ?all=1 shows every row
    client.force_login(doc)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("consult:console"), {"day": day.isoformat()})
    groups = {key: (rows, n) for key, rows, n in response.context["groups"]}
    assert len(groups["upcoming"][0]) == QUEUE_PAGE
    assert groups["upcoming"][1] == 61
    assert response.context["total"] == 64
    response = client.get(reverse("consult:console"), {"day": day.isoformat(), "all": "1"})
    assert len({key: rows for key, rows, _n in response.context["groups"]}["upcoming"]) == 61


def test_console_api_pages_each_group_and_counts_the_whole_day(api_client, doc, django_assert_max_num_queries):
    # Given a day (two days ahead) with 7 upcoming appointments and 1 checked in
    day = timezone.localdate() + timedelta(days=2)
    nine = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=9)
    made = [AppointmentFactory(slot=SlotFactory(doctor=doc, start=nine + timedelta(minutes=10 * i),
                                                end=nine + timedelta(minutes=10 * i + 5))) for i in range(8)]
    Appointment.objects.filter(pk=made[7].pk).update(status="checked_in")
    api_client.force_authenticate(doc)
    url = reverse("api-consult-console")

    # When the queue is read 3 rows per group, then the next 3, then one group only
    with django_assert_max_num_queries(3):
        first = api_client.get(url, {"day": day.isoformat(), "limit": 3}).json()
    second = api_client.get(url, {"day": day.isoformat(), "limit": 3, "offset": 3}).json()
    only = api_client.get(url, {"day": day.isoformat(), "limit": 3, "group": "checked_in"}).json()

    # Then each page holds at most `limit` rows per group in start order, and the counts are the whole day's
    assert (first["limit"], first["offset"], first["day"]) == (3, 0, day.isoformat())
    assert first["counts"] == {"in_consultation": 0, "checked_in": 1, "waiting_online": 0, "upcoming": 7, "done": 0}
    assert [r["pk"] for r in first["groups"]["upcoming"]] == [a.pk for a in made[:3]]
    assert [r["pk"] for r in first["groups"]["checked_in"]] == [made[7].pk]
    assert [r["pk"] for r in second["groups"]["upcoming"]] == [a.pk for a in made[3:6]]
    assert second["groups"]["checked_in"] == []
    assert list(only["groups"]) == ["checked_in"]
    assert [r["pk"] for r in only["groups"]["checked_in"]] == [made[7].pk]
    # And each group links its next and previous pages; following the links walks the whole group
    assert (first["next"]["checked_in"], first["previous"]["upcoming"]) == (None, None)
    walked, link = [], first["next"]["upcoming"]
    while link:
        page = api_client.get(link).json()
        walked += [r["pk"] for r in page["groups"]["upcoming"]]
        link = page["next"]["upcoming"]
    assert walked == [a.pk for a in made[3:7]]
    assert api_client.get(first["next"]["upcoming"]).json()["previous"]["upcoming"].endswith("offset=0")
    row = first["groups"]["upcoming"][0]
    assert (row["patient_id"], row["patient_name"], row["time"], row["status"], row["has_encounter"]) == (
        made[0].patient_id, made[0].patient.display_name, "09:00", "booked", False)
    # And the default is 50 per group; out-of-range or unknown parameters are refused
    assert api_client.get(url, {"day": day.isoformat()}).json()["limit"] == 50
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"group": "nope"}, {"day": "2026-13-40"}):
        assert api_client.get(url, bad).status_code == 400, bad


def test_book_via_api_and_errors_in_users_language(api_client, patient):
    api_client.force_authenticate(patient)
    slot = SlotFactory()
    ok = api_client.post(reverse("api-consult-appointments"), {"slot": slot.pk, "reason": "Cough"}, format="json")
    assert ok.status_code == 201
    assert ok.json()["status"] == "booked"
    assert (ok.json()["doctor"], ok.json()["doctor_name"], ok.json()["patient_name"]) == (
        slot.doctor_id, slot.doctor.display_name, patient.display_name)
    other = PatientFactory()
    api_client.force_authenticate(other)
    taken = api_client.post(reverse("api-consult-appointments"), {"slot": slot.pk, "reason": "Cough"}, format="json",
                            HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert taken.status_code == 409
    assert taken.json()["code"] == "slot_taken"
    assert taken.json()["detail"] == "该时段刚被他人预约，请选择其他时间。"
    past = api_client.post(reverse("api-consult-appointments"),
                           {"slot": SlotFactory(start=timezone.now() - timedelta(hours=2)).pk, "reason": "x"},
                           format="json")
    assert (past.status_code, past.json()["code"]) == (400, "slot_past")
    missing = api_client.post(reverse("api-consult-appointments"), {"slot": 999999, "reason": "x"}, format="json")
    assert missing.status_code == 404
    assert Appointment.objects.count() == 1


def test_appointment_scoping_404_and_audit(api_client, client, patient):
    appointment = AppointmentFactory()
    api_client.force_authenticate(patient)
    assert api_client.get(reverse("api-consult-appointment", args=[appointment.pk])).status_code == 404
    client.force_login(patient)
    assert client.get(reverse("consult:appointment_detail", args=[appointment.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="appointment", actor=patient).count() == 2


def test_consultation_flow_pages_poll_and_attachment(client, patient, doc):
    appointment = _online(patient, doc)
    client.force_login(patient)
    url = reverse("consult:consultation", args=[appointment.pk])
    client.post(url, {"body": "Hello doctor", "attachment": SimpleUploadedFile("rash.png", PNG, "image/png")})
    message = ConsultationMessage.objects.get()
    assert (message.body, message.attachment_type) == ("Hello doctor", "image/png")
    client.force_login(doc)
    page = client.get(url)
    assert "Hello doctor" in page.content.decode()
    assert 'hx-trigger="every 3s"' in page.content.decode()
    poll = client.get(reverse("consult:consultation_poll", args=[appointment.pk]), {"after": 0})
    assert "Hello doctor" in poll.content.decode()
    assert "hx-swap-oob" in poll.content.decode()
    empty = client.get(reverse("consult:consultation_poll", args=[appointment.pk]), {"after": message.pk})
    assert "Hello doctor" not in empty.content.decode()
    file = client.get(reverse("consult:attachment", args=[message.pk]))
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == PNG
    assert file["X-Content-Type-Options"] == "nosniff"
    stranger = PatientFactory()
    client.force_login(stranger)
    assert client.get(reverse("consult:attachment", args=[message.pk])).status_code == 404
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "spam"}).status_code == 404
    assert ConsultationMessage.objects.count() == 1


def test_a_consultation_not_open_yet_says_when_it_opens_in_both_languages(client, patient, doc, settings):
    settings.CONSULT_THREAD_OPENS_MINUTES = 15
    appointment = _online(patient, doc, minutes=3 * 60)
    opens = timezone.localtime(appointment.start - timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    client.force_login(patient)
    url = reverse("consult:consultation", args=[appointment.pk])
    page = client.get(url).content.decode()
    assert f"The consultation opens at {opens}" in page
    assert 'data-testid="message-body"' not in page
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"问诊将于 {opens} 开放" in page
    assert client.post(url, {"body": "Too early"}).status_code == 302
    assert ConsultationMessage.objects.count() == 0


def test_api_bad_attachments_and_foreign_thread(api_client, patient, doctor):
    appointment = _online(patient, doctor)
    url = reverse("api-consult-thread", args=[appointment.pk])
    api_client.force_authenticate(patient)
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    r = api_client.post(url, {"body": "see photo", "attachment": exe}, format="multipart",
                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400
    assert r.json()["code"] == "bad_type"
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024), content_type="application/pdf")
    r = api_client.post(url, {"attachment": big}, format="multipart")
    assert (r.status_code, r.json()["code"]) == (400, "too_large")
    assert ConsultationMessage.objects.count() == 0
    api_client.force_authenticate(PatientFactory())
    assert api_client.post(url, {"body": "hi"}, format="json").status_code == 404
    assert ConsultationMessage.objects.count() == 0
    api_client.force_authenticate(patient)
    assert api_client.post(url, {"body": "hi"}, format="json").status_code == 201
    thread = api_client.get(url).json()
    assert [m["body"] for m in thread["messages"]] == ["hi"]


def test_encounter_api_bad_code_and_amend_by_author_only(api_client, patient, doctor):
    ICD10CodeFactory()
    appointment = AppointmentFactory(patient=patient, booked_by=patient, slot=SlotFactory(doctor=doctor))
    api_client.force_authenticate(doctor)
    url = reverse("api-consult-encounter-record", args=[appointment.pk])
    bad = api_client.post(url, {"plan": "rest", "diagnoses": ["J06.9", "XX"]}, format="json")
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_icd10")
    assert Encounter.objects.count() == 0
    ok = api_client.post(url, {"plan": "rest", "diagnoses": ["j069"]}, format="json")
    assert ok.status_code == 201
    assert ok.json()["diagnoses"][0]["code"]["name_zh"] == "急性上呼吸道感染"
    enc_id = ok.json()["id"]
    other = DoctorFactory()
    api_client.force_authenticate(other)
    assert api_client.patch(reverse("api-consult-encounter", args=[enc_id]), {"plan": "x"},
                            format="json").status_code == 404
    api_client.force_authenticate(patient)  # may read it, may not amend it
    assert api_client.patch(reverse("api-consult-encounter", args=[enc_id]), {"plan": "x"},
                            format="json").status_code == 403
    assert api_client.get(reverse("api-consult-encounter", args=[enc_id])).json()["plan"] == "rest"
    api_client.force_authenticate(doctor)
    amended = api_client.patch(reverse("api-consult-encounter", args=[enc_id]), {"plan": "rest 3 days",
                                                                                 "reason": "typo"}, format="json")
    assert amended.json()["amendments"][0]["changes"] == {"plan": {"old": "rest", "new": "rest 3 days"}}
    assert api_client.get(reverse("api-consult-icd10"), {"q": "上呼吸道"}).json()[0]["code"] == "J06.9"


def test_follow_up_propose_and_accept_pages(client, patient, doc):
    appointment = AppointmentFactory(patient=patient, booked_by=patient, slot=SlotFactory(doctor=doc))
    later = [SlotFactory(doctor=doc, start=timezone.now() + timedelta(days=5, hours=i)) for i in range(4)]
    client.force_login(doc)
    r = client.post(reverse("consult:appointment_action", args=[appointment.pk]), {"action": "follow_up"})
    assert r.status_code == 302
    proposal = FollowUpProposal.objects.get()
    assert sorted(s.pk for s in proposal.slots.all()) == [s.pk for s in later[:3]]
    client.force_login(patient)
    page = client.get(reverse("consult:my_appointments"))
    assert 'data-testid="follow-up"' in page.content.decode()
    client.post(reverse("consult:follow_up_accept", args=[proposal.pk]), {"slot": later[1].pk})
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert (proposal.accepted_appointment.slot_id, proposal.accepted_appointment.follow_up_of) == (later[1].pk,
                                                                                                   appointment)


def test_wrong_role_gets_403_and_audit(client, patient, api_client):
    client.force_login(patient)
    assert client.get(reverse("consult:console")).status_code == 403
    api_client.force_authenticate(patient)
    assert api_client.get(reverse("api-consult-console")).status_code == 403
    assert AuditEvent.objects.filter(action="denied", actor=patient).count() == 2


def test_doctor_sees_only_own_patients(api_client, doctor):
    mine = AppointmentFactory(slot=SlotFactory(doctor=doctor))
    AppointmentFactory()
    api_client.force_authenticate(doctor)
    ids = [a["id"] for a in api_client.get(reverse("api-consult-appointments")).json()["results"]]
    assert ids == [mine.pk]


def test_message_post_through_service_then_api_read_audited(api_client, patient, doctor):
    appointment = _online(patient, doctor)
    message_post(user=patient, appointment_id=appointment.pk, body="hello")
    api_client.force_authenticate(doctor)
    before = AuditEvent.objects.filter(action="read", object_type="consultation").count()
    api_client.get(reverse("api-consult-thread", args=[appointment.pk]))
    assert AuditEvent.objects.filter(action="read", object_type="consultation").count() == before + 1


def test_amending_an_encounter_shows_its_diagnoses_by_name_in_both_languages(client, patient, doc):
    ICD10CodeFactory()
    appointment = AppointmentFactory(patient=patient, booked_by=patient, slot=SlotFactory(doctor=doc))
    client.force_login(doc)
    url = reverse("consult:encounter_edit", args=[appointment.pk])
    first = client.get(url).content.decode()
    assert 'data-testid="chosen-codes"></ul>' in first  # nothing chosen yet
    client.post(url, {"chief_complaint": "Cough", "diagnoses": "J06.9"})
    assert Encounter.objects.get().diagnoses.get().code_id == "J06.9"
    page = client.get(url).content.decode()
    chosen = page.split('data-testid="chosen-codes">', 1)[1].split("</ul>", 1)[0]
    assert "<code>J06.9</code> Acute upper respiratory infection, unspecified" in chosen
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<code>J06.9</code> 急性上呼吸道感染" in page.split('data-testid="chosen-codes">', 1)[1]
    # Back with an error: the list names what was typed (known codes only), not what is saved.
    ICD10CodeFactory(code="R05", name_en="Cough", name_zh="咳嗽")
    back = client.post(url, {"chief_complaint": "Cough", "diagnoses": "r05, XX", "reason": "add cough"})
    chosen = back.content.decode().split('data-testid="chosen-codes">', 1)[1].split("</ul>", 1)[0]
    assert "<code>R05</code> Cough" in chosen
    assert "J06.9" not in chosen
    assert Encounter.objects.get().diagnoses.get().code_id == "J06.9"  # nothing saved


def test_schedule_page_adds_hours_and_patient_sees_encounter_link(client, doc, patient):
    client.force_login(doc)
    r = client.post(reverse("consult:schedule"), {"form": "schedule", "weekday": 2, "start_time": "09:00",
                                                  "end_time": "10:00", "slot_minutes": 30, "kind": "online"})
    assert r.status_code == 302
    assert doc.weekly_schedules.count() == 1
    assert doc.slots.count() >= 8  # 2 a Wednesday, 4 or 5 Wednesdays ahead
    page = client.get(reverse("consult:schedule"))
    assert page.status_code == 200
    assert "09:00" in page.content.decode()

    ICD10CodeFactory()
    appointment = AppointmentFactory(patient=patient, booked_by=patient, slot=SlotFactory(doctor=doc))
    from consult.services.encounters import encounter_record

    encounter = encounter_record(doctor=doc, appointment_id=appointment.pk, notes={"plan": "rest"},
                                 diagnoses=["J06.9"])
    client.force_login(patient)
    detail = client.get(reverse("consult:appointment_detail", args=[appointment.pk]))
    assert reverse("consult:encounter_detail", args=[encounter.pk]) in detail.content.decode()
    shown = client.get(reverse("consult:encounter_detail", args=[encounter.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "急性上呼吸道感染" in shown.content.decode()
    assert AuditEvent.objects.filter(action="read", object_type="encounter", actor=patient).count() == 1


def test_console_queue_escapes_every_value(client, doc):
    # A patient whose name is markup: the queue row shows it as text (each row's name escaped, labels too).
    day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    for i, name in enumerate(['<b>Evil & "Co"</b>', "Plain Synthetic"]):
        slot = SlotFactory(doctor=doc, start=day_start + timedelta(minutes=10 * i + 1),
                           end=day_start + timedelta(minutes=10 * i + 9))
        AppointmentFactory(slot=slot, patient=PatientFactory(full_name=name))
    client.force_login(doc)
    html = client.get(reverse("consult:console")).content.decode()
    assert "&lt;b&gt;Evil &amp; &quot;Co&quot;&lt;/b&gt;" in html
    assert "<b>Evil" not in html
    assert "Plain Synthetic" in html


def test_console_groups_headings_and_show_all_link_in_both_languages(client, doc):
    from django.utils import translation

    day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for i in range(52):
        AppointmentFactory(slot=SlotFactory(doctor=doc, start=day_start + timedelta(minutes=10 * i + 1),
                                            end=day_start + timedelta(minutes=10 * i + 9)))
    client.force_login(doc)
    day = {"day": day_start.date().isoformat()}
    english = client.get(reverse("consult:console"), day).content.decode()
    assert "<h2>Later today (52)</h2>" in english
    assert f"Showing {QUEUE_PAGE} of 52 — show all" in english
    assert english.count('<a href="?a=') == QUEUE_PAGE
    chinese = client.get(reverse("consult:console"), day, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"):
        later, more = translation.gettext("Later today"), translation.gettext("Showing %(shown)s of %(n)s — show all")
    assert later != "Later today"
    assert f"<h2>{later} (52)</h2>" in chinese
    assert more % {"shown": QUEUE_PAGE, "n": 52} in chinese
    assert "show all" not in chinese
