"""Reads of the health record, scoped to what the asking user may see."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User

from ..models import Allergy, AllergyStatus, HealthDocument, Observation, Problem, ProblemStatus


def readable(*, actor: Any, patient: User, object_type: str = "health_record") -> policy.Decision:
    """Every selector that returns a patient's health data asks this first: the policy decides, a refusal is
    audited once and answered as not found. Decisions are remembered for the request, so a page that reads
    several parts of a record asks the database once."""
    return policy.require(policy.patient_record(actor, patient.pk), actor=actor, object_type=object_type,
                          object_id=patient.pk, subject=patient, message=_("Record not found."))


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


def allergies_of(*, actor: Any, patient: User, include_inactive: bool = False) -> QuerySet[Allergy]:
    readable(actor=actor, patient=patient, object_type="allergy")
    qs = Allergy.objects.filter(patient=patient)
    if not include_inactive:
        qs = qs.filter(status=AllergyStatus.ACTIVE)
    return qs.order_by("substance")


def allergies_for_order_review(*, actor: Any, patient: User, decision: policy.Decision) -> QuerySet[Allergy]:
    """The active allergies a pharmacist needs to review an order of this patient: only with the policy's
    pharmacist decision about that order (the queue rule), never the rest of the record."""
    if not decision or decision.rule != "pharmacist_queue":
        policy.refuse(actor=actor, object_type="allergy", object_id=patient.pk, subject=patient,
                      reason=decision.reason or policy.Reason.ROLE, rule="pharmacist_queue")
    return Allergy.objects.filter(patient=patient, status=AllergyStatus.ACTIVE).order_by("substance")


def problems_of(*, actor: Any, patient: User, status: str | None = None) -> QuerySet[Problem]:
    readable(actor=actor, patient=patient, object_type="problem")
    qs = Problem.objects.filter(patient=patient).select_related("code")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-recorded_at")


def active_problems_of(*, actor: Any, patient: User) -> QuerySet[Problem]:
    return problems_of(actor=actor, patient=patient, status=ProblemStatus.ACTIVE)


def observations_of(*, actor: Any, patient: User, kind: str | None = None) -> QuerySet[Observation]:
    readable(actor=actor, patient=patient, object_type="observation")
    qs = Observation.objects.filter(patient=patient)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-effective_at")


def documents_of(*, actor: Any, patient: User) -> QuerySet[HealthDocument]:
    readable(actor=actor, patient=patient, object_type="health_document")
    return HealthDocument.objects.filter(patient=patient)


def document_for(*, actor: Any, document_id: int) -> HealthDocument:
    """One health document, if the actor may read its patient's record; otherwise refused (audited)."""
    doc = HealthDocument.objects.select_related("patient").filter(pk=document_id).first()
    decision = (policy.patient_record(actor, doc.patient_id) if doc is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_record"))
    policy.require(decision, actor=actor, object_type="health_document", object_id=document_id,
                   subject=doc.patient if doc else None, message=_("Document not found."))
    return doc


def record_patient_for(*, user: User, patient_id: int, object_type: str = "health_record",
                       action: str = policy.Action.READ) -> User:
    """The patient whose record `user` asks for, if the access policy lets them (read, or write for a change);
    anyone else is refused — one audit row — and answered as not found."""
    patient = User.objects.filter(pk=patient_id).first()
    decision = (policy.patient_record(user, patient.pk, policy.Action(action)) if patient is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_record"))
    policy.require(decision, actor=user, object_type=object_type, object_id=patient_id, action=action,
                   subject=patient, message=_("Record not found."))
    return patient


def colleagues_to_share_with(*, doctor: User, patient: User) -> QuerySet[User]:
    """Other doctors the treating doctor may share the record with (not those who can already read it)."""
    from accounts.selectors import doctors_to_share_with

    return doctors_to_share_with(patient).exclude(pk=doctor.pk)


def doctor_patients(*, doctor: User) -> QuerySet[User]:
    """The patients whose record the doctor may read now (care relation, shared care, break-glass)."""
    return policy.readable_patients(doctor).order_by("full_name")


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


def timeline_of(*, actor: Any, patient: User, limit: int = 200) -> list[dict[str, Any]]:
    """Encounters, prescriptions, measurements and (via providers) orders, newest first."""
    from django.urls import reverse

    readable(actor=actor, patient=patient, object_type="timeline")
    from consult.models import Encounter

    from ..models import Prescription

    entries: list[dict[str, Any]] = []
    for enc in Encounter.objects.filter(patient=patient).select_related("doctor").prefetch_related("diagnoses__code")[:limit]:
        codes = ", ".join(d.code_id for d in enc.diagnoses.all())
        entries.append({"at": enc.occurred_at, "kind": "encounter", "title": _("Visit with %(doctor)s") % {
            "doctor": enc.doctor}, "detail": codes or enc.chief_complaint[:120], "url": ""})
    for rx in Prescription.objects.filter(patient=patient).select_related("doctor").prefetch_related("items__drug")[:limit]:
        entries.append({"at": rx.issued_at, "kind": "prescription", "title": _("Prescription from %(doctor)s") % {
            "doctor": rx.doctor}, "detail": ", ".join(i.drug.name for i in rx.items.all()),
            "url": reverse("records:prescription", args=[rx.pk])})
    for obs in Observation.objects.filter(patient=patient).order_by("-effective_at")[:limit]:
        entries.append({"at": obs.effective_at, "kind": "measurement", "title": obs.get_kind_display(),
                        "detail": obs.display_value + (" ⚠" if obs.is_out_of_range else ""), "url": ""})
    entries.extend(timeline_order_entries(patient=patient))
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def risk_assessments_of(*, actor: Any, patient: User) -> list[Any]:
    """The stored risk bands of a patient (records.services.risk.risk_refresh), for the doctor's console."""
    from ..models import RiskAssessment

    readable(actor=actor, patient=patient, object_type="risk_assessment")
    return list(RiskAssessment.objects.filter(patient=patient).exclude(band="").order_by("key"))


def risk_factors_of(*, actor: Any, patient: User) -> Any:
    from ..models import RiskFactors

    readable(actor=actor, patient=patient, object_type="risk_factors")
    return RiskFactors.objects.filter(patient=patient).first()
