"""Rating rules: completed appointments only, one per appointment (a database constraint), changeable for 7
days, a comment is public only once a moderator approved it, the doctor replies once; the public profile shows
the average and the count."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.policy import AccessRefused, RoleRefused
from consult.models import Appointment, AppointmentStatus, ModerationStatus, Rating
from consult.selectors.ratings import doctor_rating_summary, doctor_reviews_public
from consult.services.ratings import rating_give, rating_moderate, rating_reply
from core.errors import ApplicationError, Conflict
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.factories import AdminFactory, DoctorFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db


def _completed(doctor=None, patient=None) -> Appointment:  # type: ignore[no-untyped-def]
    doctor = doctor or DoctorFactory()
    appointment = AppointmentFactory(slot=SlotFactory(doctor=doctor), **({"patient": patient} if patient else {}))
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.COMPLETED)
    appointment.refresh_from_db()
    return appointment


def test_patient_rates_a_completed_appointment_and_the_stars_count_at_once() -> None:
    a = _completed()
    rating = rating_give(actor=a.patient, appointment_id=a.pk, stars="4", comment="Listened carefully.")
    assert (rating.stars, rating.doctor_id, rating.moderation) == (4, a.doctor_id, ModerationStatus.PENDING)
    summary = doctor_rating_summary(doctor_id=a.doctor_id)
    assert (summary.average, summary.count) == (4.0, 1)
    # ...but the comment is not public until a moderator approved it
    assert list(doctor_reviews_public(doctor_id=a.doctor_id)) == []


def test_only_completed_appointments_and_valid_stars() -> None:
    a = AppointmentFactory()
    with pytest.raises(ApplicationError) as exc:
        rating_give(actor=a.patient, appointment_id=a.pk, stars=5)
    assert exc.value.code == "not_completed"
    done = _completed()
    for bad in (0, 6, "x", None):
        with pytest.raises(ApplicationError) as exc:
            rating_give(actor=done.patient, appointment_id=done.pk, stars=bad)
        assert exc.value.code == "invalid_stars"
    assert Rating.objects.count() == 0


def test_one_rating_per_appointment_is_a_database_constraint() -> None:
    a = _completed()
    rating_give(actor=a.patient, appointment_id=a.pk, stars=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(appointment=a, patient=a.patient, doctor=a.doctor, stars=5)
    # through the service a second rating changes the first one instead
    rating_give(actor=a.patient, appointment_id=a.pk, stars=5)
    assert list(Rating.objects.values_list("stars", flat=True)) == [5]


def test_stars_outside_1_to_5_are_refused_by_the_database() -> None:
    a = _completed()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(appointment=a, patient=a.patient, doctor=a.doctor, stars=6)


def test_edit_window_is_seven_days_and_a_changed_comment_goes_back_to_moderation() -> None:
    a = _completed()
    admin = AdminFactory()
    rating = rating_give(actor=a.patient, appointment_id=a.pk, stars=2, comment="Late.")
    rating_moderate(actor=admin, rating_id=rating.pk, approve=True)
    later = timezone.now() + timedelta(days=6, hours=23)
    rating = rating_give(actor=a.patient, appointment_id=a.pk, stars=3, comment="Late, but kind.", now=later)
    assert (rating.stars, rating.moderation) == (3, ModerationStatus.PENDING)
    too_late = timezone.now() + timedelta(days=7, minutes=1)
    with pytest.raises(Conflict) as exc:
        rating_give(actor=a.patient, appointment_id=a.pk, stars=5, now=too_late)
    assert exc.value.code == "edit_window_closed"
    assert Rating.objects.get().stars == 3


def test_moderation_publishes_or_withholds_and_only_staff_may() -> None:
    a = _completed()
    rating = rating_give(actor=a.patient, appointment_id=a.pk, stars=5, comment="Clear explanations.")
    with pytest.raises(RoleRefused):
        rating_moderate(actor=a.doctor, rating_id=rating.pk, approve=True)
    assert AuditEvent.objects.filter(actor=a.doctor, outcome="denied").count() == 1
    rating_moderate(actor=AdminFactory(), rating_id=rating.pk, approve=True)
    assert [r.comment for r in doctor_reviews_public(doctor_id=a.doctor_id)] == ["Clear explanations."]
    rating_moderate(actor=AdminFactory(), rating_id=rating.pk, approve=False)
    assert list(doctor_reviews_public(doctor_id=a.doctor_id)) == []


def test_the_doctor_replies_once_and_nobody_else_can() -> None:
    a = _completed()
    rating = rating_give(actor=a.patient, appointment_id=a.pk, stars=4, comment="Good.")
    with pytest.raises(AccessRefused):
        rating_reply(actor=DoctorFactory(), rating_id=rating.pk, text="Not mine")
    with pytest.raises(ApplicationError):
        rating_reply(actor=a.doctor, rating_id=rating.pk, text="   ")
    assert rating_reply(actor=a.doctor, rating_id=rating.pk, text="Thank you.").reply == "Thank you."
    with pytest.raises(Conflict) as exc:
        rating_reply(actor=a.doctor, rating_id=rating.pk, text="Again")
    assert exc.value.code == "already_replied"
    assert Rating.objects.get().reply == "Thank you."


def test_someone_elses_appointment_is_not_found_with_one_audit_row() -> None:
    a = _completed()
    stranger = PatientFactory()
    with pytest.raises(AccessRefused):
        rating_give(actor=stranger, appointment_id=a.pk, stars="x")  # refused before the input is validated
    assert AuditEvent.objects.filter(actor=stranger, outcome="denied").count() == 1
    assert Rating.objects.count() == 0


def test_profile_page_shows_average_count_and_approved_comments_in_both_languages(client) -> None:  # type: ignore[no-untyped-def]
    doctor = DoctorFactory()
    doctor.doctor_profile.practising_since = timezone.now().year - 12
    doctor.doctor_profile.save()
    for stars, comment in ((5, "Very thorough"), (3, "Hidden until approved")):
        a = _completed(doctor=doctor)
        rating = rating_give(actor=a.patient, appointment_id=a.pk, stars=stars, comment=comment)
        if stars == 5:
            rating_moderate(actor=AdminFactory(), rating_id=rating.pk, approve=True)
    url = reverse("consult:doctor_detail", args=[doctor.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rating 4.0 of 5 from 2 patients" in html
    assert "12 years in practice" in html
    assert "Very thorough" in html
    assert "Hidden until approved" not in html
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "评分 4.0 / 5（2 位患者评价）" in zh
    assert "从医 12 年" in zh


def test_rating_through_the_page_and_moderating_through_the_queue(client) -> None:  # type: ignore[no-untyped-def]
    a = _completed()
    client.force_login(a.patient)
    r = client.post(reverse("consult:rating_give", args=[a.pk]), {"stars": "5", "comment": "Kind"})
    assert r.status_code == 302
    assert Rating.objects.get().stars == 5
    page = client.get(reverse("consult:appointment_detail", args=[a.pk])).content.decode()
    assert "Change my rating" in page
    admin = AdminFactory()
    give_totp(admin)  # staff need a second factor (REQUIRE_STAFF_MFA)
    client.force_login(admin)
    assert "Kind" in client.get(reverse("consult:ratings_moderation")).content.decode()
    client.post(reverse("consult:ratings_moderate", args=[Rating.objects.get().pk]), {"decision": "approve"})
    assert Rating.objects.get().moderation == ModerationStatus.APPROVED
