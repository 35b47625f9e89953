"""The input boundary (platform_site/inputs.py and its users): every row of issue 24's table is now a 4xx with
a clear message in English and in Chinese, and nothing is written; plus the 413, the control-character rule,
full-width digits and the 409 of a partial unique index."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone, translation

from accounts.models import Consent, FamilyLink
from consult.models import Appointment, ScheduleException, WeeklySchedule
from platform_site import inputs
from records.models import Allergy, Observation, ObservationKind, Prescription
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.factories import DoctorFactory, give_totp
from tests.records.factories import DrugFactory, EncounterFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
LANGS = ["en", "zh-hans"]


def _msg(message, lang: str) -> str:
    with translation.override(lang):
        return str(message)


def post_json(client, url: str, payload, *, lang: str = "en", raw: str | None = None):  # type: ignore[no-untyped-def]
    """POST JSON as a client would send it: json.dumps escapes a lone surrogate as \\ud800 (valid JSON text)."""
    body = raw if raw is not None else json.dumps(payload)
    return client.post(url, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang)


def assert_4xx(response, status: int, expected: str, lang: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert expected in body["detail"], (body, expected)
    if lang == "zh-hans":
        assert CJK.search(body["detail"]), body
    return body


@pytest.fixture
def doctor_client(db):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    client = APIClient()
    doctor = DoctorFactory()
    give_totp(doctor)
    client.force_authenticate(doctor)
    client.user = doctor
    return client


@pytest.fixture
def patient_client(api_client, patient):  # type: ignore[no-untyped-def]
    api_client.force_authenticate(patient)
    api_client.user = patient
    return api_client


# --- row 1: deeply nested JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("url", ["/api/consult/appointments/", "/api/me/family/", "/api/pharmacy/cart/items/",
                                 "/api/consult/waitlist/"])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(patient_client, url, lang):
    response = post_json(patient_client, url, None, lang=lang, raw="[" * 100_000)
    assert_4xx(response, 400, _msg(inputs.MSG_JSON_DEPTH, lang) % {"limit": 32}, lang)
    assert Appointment.objects.count() == 0


def test_nesting_within_the_limit_is_parsed_and_brackets_inside_strings_do_not_count(patient_client):
    deep_but_fine = {"reason": "[[[[" * 50, "slot": 1, "x": [[[[1]]]]}
    response = post_json(patient_client, "/api/consult/appointments/", deep_but_fine)
    assert response.status_code == 404  # parsed: the slot does not exist
    assert inputs.json_depth_exceeds(b"[" * 33 + b"]" * 33) is True
    assert inputs.json_depth_exceeds(b"[" * 32 + b"]" * 32) is False
    assert inputs.json_depth_exceeds(b'["' + b"[" * 100 + b'"]') is False


# --- row 2: a lone surrogate in every choice field ----------------------------------------------------------

def _choice_cases(patient, doctor):  # type: ignore[no-untyped-def]
    enc = EncounterFactory(doctor=doctor)
    item = {"drug_id": DrugFactory().pk, "dose": "1", "dose_unit": "tablet", "route": "oral",
            "frequency": "once_daily", "duration_days": 3, "quantity": 1}
    appointment = AppointmentFactory(slot=SlotFactory(doctor=doctor), patient=patient)
    rx = "/api/consult/prescriptions/"
    return {
        "dose_unit": (doctor, rx, {"encounter_id": enc.pk, "items": [{**item, "dose_unit": "\ud800"}]}),
        "route": (doctor, rx, {"encounter_id": enc.pk, "items": [{**item, "route": "\ud800"}]}),
        "frequency": (doctor, rx, {"encounter_id": enc.pk, "items": [{**item, "frequency": "\ud800"}]}),
        "severity": (patient, f"/api/consult/records/patients/{patient.pk}/allergies/",
                     {"substance": "penicillin", "severity": "\ud800"}),
        "kind (observation)": (patient, f"/api/consult/records/patients/{patient.pk}/observations/",
                               {"kind": "\ud800", "value": "70"}),
        "relationship": (patient, "/api/me/family/", {"full_name": "Li Ming", "relationship": "\ud800"}),
        "kind (consent)": (patient, "/api/me/consents/", {"kind": "\ud800", "granted": True}),
        "action": (doctor, f"/api/consult/appointments/{appointment.pk}/status/", {"action": "\ud800"}),
        "kind (schedule)": (doctor, "/api/consult/schedules/", {"weekday": 1, "start_time": "09:00",
                                                                 "end_time": "12:00", "kind": "\ud800"}),
    }


@pytest.mark.parametrize("lang", LANGS)
def test_a_lone_surrogate_in_each_of_the_nine_choice_fields_is_a_clear_400(api_client, patient, lang):
    doctor = DoctorFactory()
    give_totp(doctor)
    cases = _choice_cases(patient, doctor)
    assert len(cases) == 9
    before = (Prescription.objects.count(), Allergy.objects.count(), Observation.objects.count(),
              FamilyLink.objects.count(), Consent.objects.count(), WeeklySchedule.objects.count())
    for field, (user, url, payload) in cases.items():
        api_client.force_authenticate(user)
        response = post_json(api_client, url, payload, lang=lang)
        body = assert_4xx(response, 400, _msg(inputs.MSG_SURROGATE, lang), lang)
        # the message names where the bad text is and never repeats it
        assert field.split(" ")[0] in body["detail"], (field, body)
        assert "\ud800" not in response.content.decode("utf-8")
    assert before == (Prescription.objects.count(), Allergy.objects.count(), Observation.objects.count(),
                      FamilyLink.objects.count(), Consent.objects.count(), WeeklySchedule.objects.count())
    assert Appointment.objects.get().status == "booked"


def test_a_drf_choice_error_never_repeats_a_page_of_input(doctor_client):
    appointment = AppointmentFactory(slot=SlotFactory(doctor=doctor_client.user))
    response = post_json(doctor_client, f"/api/consult/appointments/{appointment.pk}/status/", {"action": "x" * 5000})
    body = assert_4xx(response, 400, _msg(inputs.MSG_CHOICE, "en"), "en")
    assert len(response.content) < 500, body


# --- row 3: NUL in a query string ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("url", ["/api/pharmacy/drugs/?q=%00", "/api/consult/icd10/?q=a%00b",
                                 "/api/consult/doctors/?q=%00", "/api/rarecases/hpo/?q=%00"])
def test_nul_in_a_search_query_is_a_400(doctor_client, url, lang):
    response = doctor_client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    body = assert_4xx(response, 400, _msg(inputs.MSG_NUL, lang), lang)
    assert body["detail"].startswith("q")


@pytest.mark.parametrize("lang", LANGS)
def test_nul_in_a_page_search_is_the_platforms_400_page(client, lang):
    response = client.get("/pharmacy/?q=%00", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    page = response.content.decode()
    assert _msg(inputs.MSG_NUL, lang).replace("“", "&ldquo;") in page or _msg(inputs.MSG_NUL, lang) in page
    with translation.override(lang):
        assert translation.gettext("Synthetic demonstration data only. Not for real patients.") in page


# --- row 4: observation value 1e309 -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("value", ["1e309", "-1e309", "9" * 20, "1e-400"])
def test_an_observation_far_beyond_any_range_is_a_400(patient_client, value, lang):
    url = f"/api/consult/records/patients/{patient_client.user.pk}/observations/"
    response = post_json(patient_client, url, {"kind": "weight", "value": value}, lang=lang)
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    with translation.override(lang):
        weight = str(ObservationKind.WEIGHT.label)
    assert weight in detail
    if lang == "zh-hans":
        assert CJK.search(detail)
    assert Observation.objects.count() == 0


def test_nan_and_infinity_are_not_numbers(patient_client):
    url = f"/api/consult/records/patients/{patient_client.user.pk}/observations/"
    for value in ("NaN", "Infinity", "-inf", "sNaN"):
        response = post_json(patient_client, url, {"kind": "weight", "value": value})
        assert response.status_code == 400, value
    assert Observation.objects.count() == 0


# --- row 5: date 9999-12-31 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_leave_on_a_far_date_is_a_400(doctor_client, lang):
    expected = _msg(inputs.MSG_DATE_RANGE, lang) % {"min": "1900-01-01", "max": "2100-12-31"}
    response = post_json(doctor_client, "/api/consult/leave-days/", {"date": "9999-12-31"}, lang=lang)
    assert_4xx(response, 400, expected, lang)
    assert ScheduleException.objects.count() == 0


@pytest.mark.parametrize("lang", LANGS)
def test_a_prescription_starting_on_a_far_date_is_a_400(api_client, lang):
    enc = EncounterFactory()
    give_totp(enc.doctor)
    api_client.force_authenticate(enc.doctor)
    item = {"drug_id": DrugFactory().pk, "dose": "1", "dose_unit": "tablet", "frequency": "once_daily",
            "duration_days": 3, "quantity": 1, "start_date": "9999-12-31"}
    response = post_json(api_client, "/api/consult/prescriptions/", {"encounter_id": enc.pk, "items": [item]}, lang=lang)
    expected = _msg(inputs.MSG_DATE_RANGE, lang) % {"min": "1900-01-01", "max": "2100-12-31"}
    assert_4xx(response, 400, expected, lang)
    assert Prescription.objects.count() == 0


def test_the_services_refuse_far_dates_too(doctor):
    from consult.services.schedules import leave_add
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError):
        leave_add(doctor=doctor, day=dt.date(9999, 12, 31))
    assert ScheduleException.objects.count() == 0


# --- row 6: ids, slot and offset beyond 64 bits -------------------------------------------------------------

HUGE = str(2**64)


@pytest.mark.parametrize("lang", LANGS)
def test_a_slot_beyond_64_bits_is_a_400(patient_client, lang):
    response = post_json(patient_client, "/api/consult/appointments/", {"slot": int(HUGE), "reason": "cough"}, lang=lang)
    body = assert_4xx(response, 400, "9223372036854775807", lang)
    assert "slot" in body
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize("what", ["timeline", "observations", "allergies", "summary"])
def test_a_record_id_beyond_64_bits_is_a_404(patient_client, what):
    response = patient_client.get(f"/api/consult/records/patients/{HUGE}{HUGE}/{what}/")
    assert response.status_code == 404
    assert response.json()["detail"]
    # and the largest 64-bit id is just an unknown patient
    response = patient_client.get(f"/api/consult/records/patients/{2**63 - 1}/{what}/")
    assert response.status_code == 404


@pytest.mark.parametrize("lang", LANGS)
def test_a_console_offset_beyond_64_bits_is_a_400(doctor_client, lang):
    response = doctor_client.get(f"/api/consult/console/?offset={HUGE}", HTTP_ACCEPT_LANGUAGE=lang)
    body = assert_4xx(response, 400, "9223372036854775807", lang)
    assert "offset" in body


def test_no_route_uses_the_unbounded_int_converter():
    unbounded = []

    def walk(patterns, prefix=""):  # type: ignore[no-untyped-def]
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<int:" in route:
                unbounded.append(route)

    walk(get_resolver().url_patterns)
    assert unbounded == []


# --- row 7: the partial unique index → 409 ------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_reactivating_an_allergy_while_an_active_one_exists_is_a_409(patient_client, lang):
    patient = patient_client.user
    old = Allergy.objects.create(patient=patient, substance="penicillin", status="inactive", recorded_by=patient)
    Allergy.objects.create(patient=patient, substance="penicillin", status="active", recorded_by=patient)
    url = f"/api/consult/records/patients/{patient.pk}/allergies/{old.pk}/status/"
    response = post_json(patient_client, url, {"status": "active"}, lang=lang)
    with translation.override(lang):
        from django.utils.translation import gettext

        expected = gettext("An allergy to %(substance)s is already recorded.") % {"substance": "penicillin"}
    assert_4xx(response, 409, expected, lang)
    old.refresh_from_db()
    assert old.status == "inactive"
    assert Allergy.objects.filter(status="active").count() == 1


# --- 413 ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_a_json_body_over_the_limit_is_a_413_json_naming_the_limit(patient_client, lang):
    body = json.dumps({"reason": "x" * (2 * 1024 * 1024), "slot": 1})
    response = post_json(patient_client, "/api/consult/appointments/", None, raw=body, lang=lang)
    assert_4xx(response, 413, "1 MB", lang)
    assert Appointment.objects.count() == 0


def test_the_parser_also_refuses_a_body_larger_than_its_declared_length(patient_client, settings):
    # Content-Length within the limit at the middleware, the parser counts what it reads
    settings.INPUT_JSON_MAX_BYTES = 64
    import io

    from platform_site import parsers

    with pytest.raises(parsers.RequestTooLarge) as exc:
        parsers.JSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 100 + b'"}'), "application/json", {})
    assert "64 B" in str(exc.value.detail)


def test_a_form_body_over_the_limit_is_a_413_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/accounts/login/", data="login=" + "x" * 5000, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "1000 B" in response.content.decode()


# --- the control-character rule -----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("char", "message"), [("\x1b[31m", inputs.MSG_CONTROL), ("\x07", inputs.MSG_CONTROL),
                                               ("\x85", inputs.MSG_CONTROL), ("\x00", inputs.MSG_NUL)])
def test_control_characters_in_a_name_are_refused(patient_client, char, message, lang):
    response = post_json(patient_client, "/api/me/family/", {"full_name": f"Li{char}Ming", "relationship": "child"},
                         lang=lang)
    body = assert_4xx(response, 400, _msg(message, lang), lang)
    assert body["detail"].startswith("full_name")
    assert FamilyLink.objects.count() == 0


@pytest.mark.parametrize("lang", LANGS)
def test_bidi_overrides_are_refused_in_names_addresses_and_reasons_but_not_in_notes(patient_client, lang):
    patient = patient_client.user
    trick = "invoice\u202egpj.exe"
    response = post_json(patient_client, "/api/me/family/", {"full_name": trick, "relationship": "child"}, lang=lang)
    assert_4xx(response, 400, _msg(inputs.MSG_BIDI, lang), lang)
    slot = SlotFactory()
    response = post_json(patient_client, "/api/consult/appointments/", {"slot": slot.pk, "reason": trick}, lang=lang)
    assert_4xx(response, 400, _msg(inputs.MSG_BIDI, lang), lang)
    assert Appointment.objects.count() == 0
    # a free-text note (Arabic or Hebrew with direction marks) is not a name: accepted
    url = f"/api/consult/records/patients/{patient.pk}/allergies/"
    response = post_json(patient_client, url, {"substance": "latex", "note": "\u200fملاحظة\u200f"})
    assert response.status_code == 201
    assert Allergy.objects.get().note == "\u200fملاحظة\u200f"


def test_tabs_and_line_breaks_are_kept(patient_client):
    url = f"/api/consult/records/patients/{patient_client.user.pk}/allergies/"
    response = post_json(patient_client, url, {"substance": "latex", "note": "line 1\r\nline 2\tend"})
    assert response.status_code == 201
    assert Allergy.objects.get().note == "line 1\r\nline 2\tend"


def test_control_characters_in_a_page_form_are_refused_and_nothing_is_stored(client, patient):
    client.force_login(patient)
    response = client.post("/me/family/", {"full_name": "Li\x1b[2JMing", "relationship": "child"})
    assert response.status_code == 400
    assert "full_name" in response.content.decode()
    assert FamilyLink.objects.count() == 0


# --- full-width digits (a Chinese input method) --------------------------------------------------------------

def test_full_width_digits_are_accepted_in_numbers_dates_and_ids(patient_client, doctor_client):
    patient = patient_client.user
    slot = SlotFactory()
    fw = str(slot.pk).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = post_json(patient_client, "/api/consult/appointments/", {"slot": fw, "reason": "咳嗽"})
    assert response.status_code == 201, response.content
    assert response.json()["slot"] == slot.pk
    url = f"/api/consult/records/patients/{patient.pk}/observations/"
    response = post_json(patient_client, url, {"kind": "weight", "value": "７０．５"})
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "70.50"
    response = post_json(doctor_client, "/api/consult/leave-days/", {"date": "２０３０－０１－３１"})
    assert response.status_code == 201, response.content
    assert ScheduleException.objects.get().date == dt.date(2030, 1, 31)
    response = doctor_client.get("/api/consult/console/?limit=５")
    assert response.status_code == 200
    assert response.json()["limit"] == 5


def test_full_width_text_is_stored_as_typed(patient_client):
    url = f"/api/consult/records/patients/{patient_client.user.pk}/allergies/"
    response = post_json(patient_client, url, {"substance": "青霉素", "note": "皮疹，呼吸困难（２０２４年）"})
    assert response.status_code == 201
    assert Allergy.objects.get().note == "皮疹，呼吸困难（２０２４年）"


# --- the pure helpers ---------------------------------------------------------------------------------------

def test_pure_rules():
    assert inputs.clean_int("－１２") == -12
    assert inputs.clean_int(2**63 - 1) == 2**63 - 1
    with pytest.raises(inputs.InputError):
        inputs.clean_int(2**63)
    with pytest.raises(inputs.InputError):
        inputs.clean_int("1.5")
    assert str(inputs.clean_decimal("１２．５", max_digits=5, decimal_places=2)) == "12.5"
    for bad in ("1e309", "NaN", "inf"):
        with pytest.raises(inputs.InputError):
            inputs.clean_decimal(bad, max_digits=12, decimal_places=2)
    with pytest.raises(inputs.InputError):
        inputs.clean_decimal("1.234", max_digits=8, decimal_places=2)
    assert inputs.clean_date("２０２６－０１－３１") == dt.date(2026, 1, 31)
    for bad in ("9999-12-31", "1899-12-31", "0001-01-01"):
        with pytest.raises(inputs.InputError):
            inputs.clean_date(bad)
    assert inputs.is_strict_field("recipient_name")
    assert inputs.is_strict_field("cancel_reason")
    assert not inputs.is_strict_field("note")
    assert not inputs.is_strict_field("names_count")
    assert inputs.shown("a\ud800b\x00") == "a\ufffdb\ufffd"
    assert inputs.text_error("ok\tline\nnext\r\n") is None


def test_api_modules_use_the_bounded_serializers_and_forms():
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or path.parts[-2] == "platform_site":
            continue
        text = path.read_text()
        if re.search(r"^from rest_framework import .*\bserializers\b", text, re.M) and (
                "apis" in path.parts or path.name in ("apis.py", "federation_views.py")):
            offenders.append(str(path.relative_to(ROOT)))
        if re.search(r"^from rest_framework.parsers import .*\bJSONParser\b", text, re.M):
            offenders.append(f"{path.relative_to(ROOT)} (DRF's JSONParser: no depth or size limit)")
        if path.name.startswith("forms") and re.search(r"^from django import forms$", text, re.M):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_date_range_is_what_the_docs_say():
    assert (inputs.DATE_MIN, inputs.DATE_MAX) == (dt.date(1900, 1, 1), dt.date(2100, 12, 31))
    assert timezone.localdate() < inputs.DATE_MAX
