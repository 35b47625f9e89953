"""Rules of an internet hospital (docs/compliance.md): real names with the GB 11643 check digit, numbers and
phones encrypted at rest and shown masked, a doctor's credentials and MFA before online practice, versioned
consents. Each test fails when its rule breaks."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from accounts.context import RequestContext, current_request
from accounts.identity import citizen_id_check, mask
from accounts.models import AuditEvent, Consent, DoctorCredential, IdentityVerification
from accounts.regulation import RuleRefused, doctor_online_check
from accounts.services import (
    CONSENT_VERSIONS,
    consent_grant,
    consent_is_current,
    consent_withdraw,
    doctor_credential_record,
    identity_verify,
    online_practice_gaps,
    processing_withdrawn,
)
from core.errors import ApplicationError, Conflict
from tests.factories import AdminFactory, DoctorFactory, PatientFactory

# The example number printed in GB 11643-1999 itself, and a number whose check digit was changed.
STANDARD_SAMPLE = "11010519491231002X"


@pytest.mark.parametrize("number", [STANDARD_SAMPLE, "11010519491231002x", "1101 0519 4912 3100 2X"])
def test_valid_citizen_id_numbers_pass_with_birth_date_and_sex(number):
    result = citizen_id_check(number, today=dt.date(2026, 12, 7))
    assert result.valid
    assert result.birth_date == dt.date(1949, 12, 31)
    assert result.sex == "female"  # sequence code 002: even


@pytest.mark.parametrize(("number", "reason"), [
    ("110105194912310021", "check_digit"),
    ("110105194912310029", "check_digit"),
    ("11010519491231002", "format"),
    ("0901051949123100XX", "format"),
    ("090105194912310023", "province"),
    ("110105194902300021", "birth_date"),
    ("110105209912310021", "birth_date"),
])
def test_invalid_citizen_id_numbers_are_refused_with_the_reason(number, reason):
    result = citizen_id_check(number, today=dt.date(2026, 12, 7))
    assert not result.valid
    assert result.reason == reason


# One number for each of the 11 check characters, computed with the recursive form of ISO 7064 MOD 11-2
# (p = (p + digit) * 2 mod 11; check = (12 - p) mod 11), not with the weights the code uses.
EVERY_CHECK_CHARACTER = [
    "330106198507010002", "330106198507010010", "330106198507010029", "330106198507010037", "330106198507010045",
    "330106198507010053", "330106198507010061", "33010619850701007X", "330106198507010088", "330106198507010096",
    "330106198507010184",
]


@pytest.mark.parametrize("number", EVERY_CHECK_CHARACTER)
def test_every_check_character_is_accepted_and_any_other_refused(number):
    assert citizen_id_check(number, today=dt.date(2026, 12, 7)).valid
    for wrong in "0123456789X":
        if wrong != number[-1]:
            assert citizen_id_check(number[:17] + wrong, today=dt.date(2026, 12, 7)).reason == "check_digit"


def test_mask_shows_first_three_and_last_four():
    assert mask(STANDARD_SAMPLE) == "110***********002X"


@pytest.mark.django_db
def test_identity_is_stored_encrypted_shown_masked_and_one_document_one_account():
    alice, bob = PatientFactory(), PatientFactory()
    record = identity_verify(actor=alice, user=alice, legal_name="张 三", document_type="citizen_id",
                             number=STANDARD_SAMPLE.lower())
    assert record.number_masked == "110***********002X"
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM accounts_identityverification WHERE id = %s", [record.pk])
        stored = cursor.fetchone()[0]
    assert STANDARD_SAMPLE not in stored
    assert "1949" not in stored
    assert IdentityVerification.objects.get(pk=record.pk).number == STANDARD_SAMPLE
    with pytest.raises(Conflict):
        identity_verify(actor=bob, user=bob, legal_name="李四", document_type="citizen_id", number=STANDARD_SAMPLE)
    assert not IdentityVerification.objects.filter(user=bob).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "text"), [("en", "check digit"), ("zh-hans", "校验码")])
def test_a_bad_check_digit_is_refused_in_both_languages_and_nothing_written(language, text):
    alice = PatientFactory()
    with translation.override(language), pytest.raises(ApplicationError) as info:
        identity_verify(actor=alice, user=alice, legal_name="张三", document_type="citizen_id",
                        number="110105194912310021")
    assert text in str(info.value)
    assert not IdentityVerification.objects.exists()


@pytest.mark.django_db
def test_a_passport_needs_a_nationality():
    alice = PatientFactory()
    with pytest.raises(ApplicationError):
        identity_verify(actor=alice, user=alice, legal_name="John Smith", document_type="passport", number="E1234567")
    record = identity_verify(actor=alice, user=alice, legal_name="John Smith", document_type="passport",
                             number="e1234567", nationality="GB")
    assert record.number_masked == "E12*4567"


@pytest.mark.django_db
def test_phone_is_encrypted_at_rest():
    alice = PatientFactory()
    profile = alice.patient_profile
    profile.phone = "13800138000"
    profile.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_patientprofile WHERE id = %s", [profile.pk])
        assert "13800138000" not in cursor.fetchone()[0]
    profile.refresh_from_db()
    assert profile.phone == "13800138000"


def _qualify(doctor, admin, *, since):
    identity_verify(actor=admin, user=doctor, legal_name="王医生", document_type="citizen_id",
                    number="110101199003077758")
    doctor_credential_record(actor=admin, doctor=doctor, institution="北京协和医院",
                             institution_consent_at=timezone.localdate(), independent_practice_since=since)


@pytest.mark.django_db
def test_doctor_without_credentials_is_refused_online_practice_audited_in_both_languages():
    doctor, admin = DoctorFactory(), AdminFactory()
    assert {g.code for g in online_practice_gaps(doctor)} == {"identity", "institution_consent", "practice_years"}
    for language, text in (("en", "online consultations"), ("zh-hans", "线上")):
        with translation.override(language), pytest.raises(RuleRefused) as info:
            doctor_online_check(doctor=doctor, object_type="consultation")
        assert text in str(info.value)
        assert info.value.code == "doctor_not_qualified"
    assert AuditEvent.objects.filter(actor=doctor, outcome="denied", object_type="consultation").count() == 2
    # two years of independent practice are not enough
    today = timezone.localdate()
    _qualify(doctor, admin, since=today.replace(year=today.year - 2))
    assert [g.code for g in online_practice_gaps(doctor)] == ["practice_years"]
    DoctorCredential.objects.filter(doctor=doctor).update(
        independent_practice_since=today.replace(year=today.year - 3) - dt.timedelta(days=1))
    assert online_practice_gaps(doctor) == []
    doctor_online_check(doctor=doctor, object_type="consultation")  # allowed: no exception


@pytest.mark.django_db
def test_a_qualified_doctor_in_a_web_session_without_mfa_is_refused():
    doctor, admin = DoctorFactory(), AdminFactory()
    today = timezone.localdate()
    _qualify(doctor, admin, since=today.replace(year=today.year - 10))
    token = current_request.set(RequestContext(path="/console/", mfa=lambda: False))
    try:
        with pytest.raises(RuleRefused) as info:
            doctor_online_check(doctor=doctor, object_type="consultation")
        assert info.value.code == "doctor_session_without_mfa"
    finally:
        current_request.reset(token)
    token = current_request.set(RequestContext(path="/console/", mfa=lambda: True))
    try:
        doctor_online_check(doctor=doctor, object_type="consultation")
    finally:
        current_request.reset(token)
    assert AuditEvent.objects.filter(actor=doctor, outcome="denied").count() == 1


@pytest.mark.django_db
def test_consents_are_versioned_and_withdrawal_stops_processing(monkeypatch):
    alice = PatientFactory()
    grant = consent_grant(user=alice, kind="data_processing")
    assert grant.version == CONSENT_VERSIONS["data_processing"]
    assert consent_is_current(user=alice, kind="data_processing")
    monkeypatch.setitem(CONSENT_VERSIONS, "data_processing", "2099-01")
    assert not consent_is_current(user=alice, kind="data_processing")  # a new text must be agreed again
    regrant = consent_grant(user=alice, kind="data_processing")
    assert regrant.pk != grant.pk
    assert regrant.version == "2099-01"
    assert Consent.objects.filter(user=alice, kind="data_processing", withdrawn_at__isnull=True).count() == 1
    assert not processing_withdrawn(user=alice)
    consent_withdraw(user=alice, kind="data_processing")
    assert processing_withdrawn(user=alice)
