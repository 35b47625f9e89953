"""Recommended doctors for one patient, each with its reasons.

Signals: implicit feedback — the trained model's affinities (consult.services.recommend_model: TruncatedSVD,
nightly) when a model has been trained and knows the patient, else doctors booked by patients who share a doctor
with them (item co-visitation, computed here) — and the patient's own bookings; what the patient
needs now (children under 14 → paediatrics; the department of their latest triage answer when it is newer than
their latest visit, else the department of that visit), the doctor's rating, and
availability in the next 7 days. A patient without a history gets the cold-start list (department fit, rating,
availability) and is told so. Reads only the caller's own appointments."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from knowledge.selectors import latest_triage_departments

from ..models import Appointment, AppointmentStatus, DoctorAffinity, Rating

PAEDIATRICS_CODE = "paediatrics"
CHILD_AGE = 14


@dataclass
class Recommendation:
    doctor: User
    score: float
    reasons: list[str] = field(default_factory=list)


def _age(user: User) -> int | None:
    dob = getattr(getattr(user, "patient_profile", None), "date_of_birth", None)
    if not dob:
        return None
    today = timezone.localdate()
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def recommendations_for(*, patient: User, limit: int = 5, now: dt.datetime | None = None
                        ) -> tuple[list[Recommendation], bool]:
    """(recommendations, cold_start)."""
    now = now or timezone.now()
    mine = list(Appointment.objects.filter(patient=patient).exclude(status=AppointmentStatus.CANCELLED)
                .select_related("doctor__doctor_profile").order_by("-start"))
    my_doctors = {a.doctor_id for a in mine}
    co: Counter[int] = Counter()
    model = {a["doctor_id"]: a["score"] for a in DoctorAffinity.objects.filter(patient=patient, run__is_current=True)
             .values("doctor_id", "score")}
    if model:
        co.update({d: score * 100 for d, score in model.items()})
    elif my_doctors:
        peers = (Appointment.objects.filter(doctor_id__in=my_doctors).exclude(patient=patient)
                 .values_list("patient_id", flat=True).distinct()[:500])
        co.update(Appointment.objects.filter(patient_id__in=list(peers)).exclude(status=AppointmentStatus.CANCELLED)
                  .values_list("doctor_id", flat=True))
    age = _age(patient)
    last_visit_dept = (mine[0].doctor.doctor_profile.department.code
                       if mine and getattr(mine[0].doctor, "doctor_profile", None)
                       and mine[0].doctor.doctor_profile.department else None)
    # What the patient described most recently, if it is newer than their last booking (an emergency answer sends
    # them to the emergency department, not to a booking: it is not used here).
    last_booked = max((a.created_at for a in mine), default=None)
    triage = latest_triage_departments(patient=patient, after=last_booked)
    described = triage[0] if triage else None
    need_dept = PAEDIATRICS_CODE if age is not None and age < CHILD_AGE else (described or last_visit_dept)
    soon = now + dt.timedelta(days=7)
    doctors = (User.objects.filter(role=Role.DOCTOR, is_active=True).select_related("doctor_profile__department")
               .annotate(next_free=Min("slots__start", filter=Q(slots__start__gt=now, slots__start__lt=soon,
                                                                   slots__is_blocked=False,
                                                                   slots__appointments__isnull=True))))
    ratings = {r["doctor_id"]: (r["avg"], r["n"]) for r in
               Rating.objects.values("doctor_id").annotate(avg=Avg("stars"), n=Count("id"))}
    cold = not my_doctors
    top_co = max(co.values()) if co else 1
    out = []
    for d in doctors:
        rec = Recommendation(d, 0.0)
        if co.get(d.pk):
            rec.score += 2.0 * co[d.pk] / top_co
            rec.reasons.append(_("Patients with a similar history booked this doctor."))
        if d.pk in my_doctors:
            rec.score += 1.0
            rec.reasons.append(_("You have seen this doctor before."))
        dept = getattr(getattr(d, "doctor_profile", None), "department", None)
        if need_dept and dept and dept.code == need_dept:
            rec.score += 1.5
            rec.reasons.append(_("Children's doctor (paediatrics).") if need_dept == PAEDIATRICS_CODE
                               else _("Treats what you described.") if need_dept == described
                               else _("Treats what you were last seen for."))
        avg, n = ratings.get(d.pk, (None, 0))
        if avg:
            rec.score += (avg - 3) / 2 * min(n, 10) / 10
            if avg >= 4 and n:
                rec.reasons.append(_("Rated %(avg).1f of 5 by patients.") % {"avg": avg})
        if d.next_free:
            rec.score += 0.5
            rec.reasons.append(_("Free tomorrow.") if timezone.localdate(d.next_free) == timezone.localdate(now)
                               + dt.timedelta(days=1) else _("Free in the next 7 days."))
        if rec.reasons:
            out.append(rec)
    out.sort(key=lambda r: (-r.score, r.doctor.pk))
    return out[:limit], cold
