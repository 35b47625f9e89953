"""Reads of the health record, scoped to what the asking user may see."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import Allergy, AllergyStatus, Observation, Problem, ProblemStatus


def _norm(value: str) -> str:
    return " ".join(value.strip().lower().split())


# Allergy classes: an allergy recorded by class name also matches the class's members. Deliberately short and
# conservative (documented in docs/records.md); a full terminology server is out of scope.
ALLERGY_CLASSES: dict[str, set[str]] = {
    "penicillin": {"amoxicillin", "ampicillin", "benzylpenicillin", "phenoxymethylpenicillin", "piperacillin",
                   "flucloxacillin", "cloxacillin", "oxacillin", "dicloxacillin", "penicillin v", "penicillin g"},
    "cephalosporin": {"cefalexin", "cephalexin", "cefuroxime", "cefixime", "ceftriaxone", "cefazolin", "cefaclor",
                      "cefdinir", "cefpodoxime", "cefradine"},
    "sulfonamide": {"sulfamethoxazole", "sulfadiazine", "sulfasalazine"},
    "nsaid": {"ibuprofen", "diclofenac", "naproxen", "acetylsalicylic acid", "aspirin", "celecoxib", "loxoprofen",
              "indometacin", "meloxicam", "ketoprofen"},
    "aspirin": {"acetylsalicylic acid"},
    "macrolide": {"erythromycin", "azithromycin", "clarithromycin", "roxithromycin"},
    "fluoroquinolone": {"ciprofloxacin", "levofloxacin", "moxifloxacin", "ofloxacin", "norfloxacin"},
}


def allergy_conflicts(*, patient: User, drug: Any) -> list[Allergy]:
    """The patient's active allergies that the drug's active ingredients trigger.

    `drug.active_ingredients` is a list of lower-case ingredient names (pharmacy.Drug). An allergy matches when
    its substance equals an ingredient (case- and space-insensitive), when it is a single word of a multi-word
    ingredient ("penicillin" ↔ "penicillin v"), or when it names a drug class of ALLERGY_CLASSES containing the
    ingredient ("penicillin" ↔ "amoxicillin").
    """
    ingredients = {_norm(str(i)) for i in (getattr(drug, "active_ingredients", None) or []) if str(i).strip()}
    if not ingredients:
        return []
    words = {w for i in ingredients for w in i.split()}
    conflicts = []
    for allergy in Allergy.objects.filter(patient=patient, status=AllergyStatus.ACTIVE).order_by("substance"):
        substance = _norm(allergy.substance)
        if (substance in ingredients or (" " not in substance and substance in words)
                or ingredients & ALLERGY_CLASSES.get(substance, set())):
            conflicts.append(allergy)
    return conflicts


def allergies_of(*, patient: User, include_inactive: bool = False) -> QuerySet[Allergy]:
    qs = Allergy.objects.filter(patient=patient)
    if not include_inactive:
        qs = qs.filter(status=AllergyStatus.ACTIVE)
    return qs.order_by("substance")


def problems_of(*, patient: User, status: str | None = None) -> QuerySet[Problem]:
    qs = Problem.objects.filter(patient=patient).select_related("code")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-recorded_at")


def active_problems_of(*, patient: User) -> QuerySet[Problem]:
    return problems_of(patient=patient, status=ProblemStatus.ACTIVE)


def observations_of(*, patient: User, kind: str | None = None) -> QuerySet[Observation]:
    qs = Observation.objects.filter(patient=patient)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-effective_at")


def record_patient_for(*, user: User, patient_id: int, object_type: str = "health_record") -> User:
    """The patient whose record `user` asks for, if they may see it: the patient themselves or a family member
    they act for; a doctor who has seen or booked the patient. Anyone else gets NotFound and an audit entry."""
    from accounts.errors import NotFound
    from accounts.models import Role
    from accounts.selectors import patients_actable_by
    from accounts.services import audit_denied

    from ..models import Appointment, AppointmentStatus, Encounter

    patient = None
    if user.is_authenticated and user.role == Role.PATIENT:
        patient = patients_actable_by(user).filter(pk=patient_id).first()
    elif user.is_authenticated and user.role == Role.DOCTOR:
        has_care = (
            Encounter.objects.filter(doctor=user, patient_id=patient_id).exists()
            or Appointment.objects.filter(doctor=user, patient_id=patient_id)
            .exclude(status=AppointmentStatus.CANCELLED).exists()
        )
        if has_care:
            patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).first()
    if patient is None:
        subject = User.objects.filter(pk=patient_id).first()
        audit_denied(actor=user, object_type=object_type, object_id=patient_id, subject=subject,
                     reason="no care relationship")
        raise NotFound(_("Record not found."))
    return patient


def doctor_patients(*, doctor: User) -> QuerySet[User]:
    """Patients a doctor has seen or booked (the doctor's record list)."""
    from ..models import Appointment, AppointmentStatus, Encounter

    ids = set(Encounter.objects.filter(doctor=doctor).values_list("patient_id", flat=True))
    ids |= set(Appointment.objects.filter(doctor=doctor).exclude(status=AppointmentStatus.CANCELLED)
               .values_list("patient_id", flat=True))
    return User.objects.filter(pk__in=ids).order_by("full_name")


def timeline_order_entries(*, patient: User) -> list[dict[str, Any]]:
    """Entries other apps contribute to the timeline (pharmacy orders). consult cannot import pharmacy, so a
    higher app registers a callable in TIMELINE_PROVIDERS (see register_timeline_provider)."""
    entries: list[dict[str, Any]] = []
    for provider in TIMELINE_PROVIDERS:
        try:
            entries.extend(provider(patient=patient))
        except Exception:  # noqa: BLE001 - a broken provider must not take the whole record page down
            import logging

            logging.getLogger(__name__).exception("timeline provider %r failed", provider)
    return entries


TIMELINE_PROVIDERS: list[Any] = []


def register_timeline_provider(provider: Any) -> None:
    """pharmacy calls this from its AppConfig.ready(): provider(*, patient) -> list of
    {"at": datetime, "kind": "order", "title": str, "detail": str, "url": str}."""
    if provider not in TIMELINE_PROVIDERS:
        TIMELINE_PROVIDERS.append(provider)


def timeline_of(*, patient: User, limit: int = 200) -> list[dict[str, Any]]:
    """Encounters, prescriptions, measurements and (via providers) orders, newest first."""
    from django.urls import reverse

    from ..models import Encounter, Prescription

    entries: list[dict[str, Any]] = []
    for enc in Encounter.objects.filter(patient=patient).select_related("doctor").prefetch_related("diagnoses__code")[:limit]:
        codes = ", ".join(d.code_id for d in enc.diagnoses.all())
        entries.append({"at": enc.occurred_at, "kind": "encounter", "title": _("Visit with %(doctor)s") % {
            "doctor": enc.doctor}, "detail": codes or enc.chief_complaint[:120], "url": ""})
    for rx in Prescription.objects.filter(patient=patient).select_related("doctor").prefetch_related("items__drug")[:limit]:
        entries.append({"at": rx.issued_at, "kind": "prescription", "title": _("Prescription from %(doctor)s") % {
            "doctor": rx.doctor}, "detail": ", ".join(i.drug.name for i in rx.items.all()),
            "url": reverse("consult:records-prescription", args=[rx.pk])})
    for obs in Observation.objects.filter(patient=patient).order_by("-effective_at")[:limit]:
        entries.append({"at": obs.effective_at, "kind": "measurement", "title": obs.get_kind_display(),
                        "detail": obs.display_value + (" ⚠" if obs.is_out_of_range else ""), "url": ""})
    entries.extend(timeline_order_entries(patient=patient))
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]
