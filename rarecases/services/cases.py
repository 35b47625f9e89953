"""The de-identified case store (S400) and access tracking (S500–S520)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.models import Role, User
from accounts.selectors import consent_is_active
from accounts.services import audit_record, notify
from core.errors import ApplicationError, PermissionDeniedError

from .. import deid, vocab
from ..models import Case, CaseCitation, CaseEvent, CaseFollow, EventKind, OutboxMessage, Peer
from .federation import USAGE_SCHEMA, outbox_enqueue, platform_profile, search_text_for


class IdentifierFound(ApplicationError):
    code = "identifier_found"


class ConsentMissing(PermissionDeniedError):
    code = "consent_missing"


def _age_years(dob: date | None, at: date) -> int | None:
    if dob is None:
        return None
    return at.year - dob.year - ((at.month, at.day) < (dob.month, dob.day))


def _coarse_region(region: str) -> str:
    """Province-level only: the first comma/space-separated part, at most 32 characters."""
    return (region or "").replace("，", ",").split(",")[0].strip()[:32]


def _known_identifiers(encounter: Any) -> tuple[list[str], list[str]]:
    patient = encounter.patient
    profile = getattr(patient, "patient_profile", None)
    names = [patient.full_name, encounter.doctor.full_name]
    values = [patient.email or ""]
    if profile is not None:
        names.append(profile.emergency_contact_name)
        values += [profile.phone, profile.address, profile.emergency_contact_phone]
        if profile.date_of_birth:
            dob = profile.date_of_birth
            values += [dob.isoformat(), dob.strftime("%Y/%m/%d"), f"{dob.year}年{dob.month}月{dob.day}日"]
    return [n for n in names if n], [v for v in values if v]


def _phenotypes(ids: list[str]) -> list[dict]:
    out, bad = [], []
    for raw in ids:
        term = vocab.hpo_term(raw)
        (out.append(term) if term else bad.append(raw))
    if bad:
        raise ApplicationError(_("Unknown HPO term(s): %(ids)s") % {"ids": ", ".join(bad)})
    return out


def case_preview(*, encounter: Any, findings: str | None = None, treatment: str | None = None,
                 outcome: str = "", phenotype_ids: list[str] | None = None) -> dict[str, Any]:
    """Build the de-identified draft from an encounter: exactly what would leave, plus the findings of
    the de-identification check per field (empty when clean). Writes nothing."""
    profile = getattr(encounter.patient, "patient_profile", None)
    occurred = encounter.occurred_at.date()
    codes, orpha = [], []
    for dx in sorted(encounter.diagnoses.all(), key=lambda d: (not d.is_primary, d.code_id)):
        codes.append({"code": dx.code.code, "name_en": dx.code.name_en, "name_zh": dx.code.name_zh,
                      "block": dx.code.block})
        orpha += [o for o in vocab.orpha_classes(dx.code.code, dx.code.name_en) if o not in orpha]
    primary = codes[0] if codes else {"code": "", "name_en": "", "name_zh": "", "block": ""}
    chapter = primary["code"][:1]
    phenotypes = _phenotypes(phenotype_ids or [])
    tags = sorted({f"chapter:{chapter}", f"block:{primary['block']}"} | {f"code:{c['code'][:3]}" for c in codes}
                  | ({"rare:orphanet"} if orpha else set()))
    draft = {
        "title": f"{primary['code']} {primary['name_en']}".strip()[:200],
        "age_band": deid.age_band(_age_years(profile.date_of_birth if profile else None, occurred)),
        "sex": profile.sex if profile else "unknown",
        "region": _coarse_region(profile.region if profile else ""),
        "codes": codes, "category": primary["block"], "chapter": chapter, "orpha": orpha, "phenotypes": phenotypes,
        "findings": (encounter.findings if findings is None else findings).strip(),
        "treatment": (encounter.plan if treatment is None else treatment).strip(),
        "outcome": outcome.strip(), "tags": [t for t in tags if not t.endswith(":")],
    }
    names, values = _known_identifiers(encounter)
    problems = deid.check_fields({k: draft[k] for k in ("title", "region", "findings", "treatment", "outcome")},
                                 known_names=names, known_values=values)
    return {"draft": draft, "problems": {k: [(f.kind, f.text) for f in v] for k, v in problems.items()}}


def _genes(raw: list[str]) -> list[str]:
    from ..matching.genes import gene_key

    bad = [g for g in raw if gene_key(g) is None]
    if bad:
        raise ApplicationError(_("Not a gene symbol or Ensembl/Entrez id: %(ids)s") % {"ids": ", ".join(bad)})
    return list(dict.fromkeys(g.strip() for g in raw if g.strip()))


def rare_case_confirm(*, doctor: User, encounter: Any, findings: str | None = None, treatment: str | None = None,
                      outcome: str = "", phenotype_ids: list[str] | None = None,
                      excluded_phenotype_ids: list[str] | None = None, genes: list[str] | None = None) -> Case:
    """A doctor confirms a rare case from their encounter (S400). A second confirmation of the same
    encounter makes a new version of the same case UUID. `excluded_phenotype_ids` are HPO terms the doctor
    checked and found absent (MME "observed: no"); `genes` candidate genes (HGNC symbols or Ensembl/Entrez
    ids). Both feed the case's matching profile only; they are not part of the federation payload.

    Raises ConsentMissing (audited) without the patient's active rare-case-sharing consent, and
    IdentifierFound when any text field still carries an identifier, ApplicationError for an unknown HPO
    term or gene id. Nothing is written then (the refusal's audit entry is written outside the transaction,
    so it is kept).
    """
    policy.require(policy.author(doctor, author_id=encounter.doctor_id), actor=doctor, object_type="encounter",
                   object_id=encounter.pk, action=policy.Action.WRITE, subject=encounter.patient,
                   message=_("Encounter not found."))
    if not consent_is_active(user=encounter.patient, kind="rare_case_sharing"):
        policy.refuse(actor=doctor, object_type="rarecases.case", object_id=f"encounter:{encounter.pk}",
                      action=policy.Action.WRITE, subject=encounter.patient, reason="no_rare_case_sharing_consent",
                      rule="rare_case_sharing_consent", error=ConsentMissing,
                      message=_("The patient has not consented to sharing de-identified rare cases."))
    preview = case_preview(encounter=encounter, findings=findings, treatment=treatment, outcome=outcome,
                           phenotype_ids=phenotype_ids)
    excluded = [p["id"] for p in _phenotypes(excluded_phenotype_ids or [])]
    gene_list = _genes(genes or [])
    if preview["problems"]:
        raise IdentifierFound(_("Remove the identifying details before confirming."),
                              extra={"problems": preview["problems"]})
    with transaction.atomic():
        draft = preview["draft"]
        me = platform_profile()
        # Lock the previous versions so two confirmations of one encounter cannot both become version n+1.
        previous = list(Case.objects.select_for_update().filter(source_encounter=encounter, origin=me.instance_id)
                        .order_by("-version"))
        case_uuid = previous[0].case_uuid if previous else uuid.uuid4()
        version = previous[0].version + 1 if previous else 1
        Case.objects.filter(origin=me.instance_id, case_uuid=case_uuid).update(is_current=False)
        case = Case.objects.create(
            case_uuid=case_uuid, version=version, origin=me.instance_id, is_current=True, source_encounter=encounter,
            confirmed_by=doctor, provenance={"path": [me.instance_id]}, search_text=search_text_for(draft), **draft)
        from .mme import profile_for_case

        profile_for_case(case=case, source="local", excluded=excluded, genes=gene_list)
        audit_record(actor=doctor, action="create", object_type="rarecases.case", object_id=str(case.case_uuid),
                     subject=encounter.patient, detail={"version": version, "encounter": encounter.pk})
    return case


def _node(user: User | None) -> str:
    me = platform_profile().instance_id
    return f"{me}/user:{user.pk}" if user else me


def case_event_record(*, case: Case, kind: str, actor: User | None = None, target_node: str = "",
                      peer: Peer | None = None) -> CaseEvent:
    """Count a view or usage (S500) and add the edge to the propagation path (S510). For a case received
    from a peer, the same event is reported to its origin through the outbox (S520 across platforms)."""
    with transaction.atomic():
        depth = int(case.provenance.get("hops", 0)) + (1 if kind != EventKind.VIEW else 0)
        event = CaseEvent.objects.create(case=case, kind=kind, actor=actor, peer=peer, source_node=_node(actor),
                                         target_node=target_node, depth=depth)
        if case.received_from_id:
            origin = Peer.objects.filter(instance_id=case.origin, enabled=True).first() or case.received_from
            outbox_enqueue(peer=origin, kind=OutboxMessage.Kind.USAGE, case=None, payload={
                "schema": USAGE_SCHEMA, "origin": case.origin, "case_uuid": str(case.case_uuid),
                "version": case.version, "event_uuid": str(event.event_uuid), "kind": kind,
                "at": event.at.isoformat(), "source_node": event.source_node,
                "target_node": target_node or platform_profile().instance_id, "depth": depth,
            })
    return event


def case_follow(*, user: User, case: Case) -> bool:
    try:
        with transaction.atomic():
            CaseFollow.objects.create(user=user, origin=case.origin, case_uuid=case.case_uuid)
    except IntegrityError:
        return False
    return True


def case_unfollow(*, user: User, case: Case) -> int:
    return CaseFollow.objects.filter(user=user, origin=case.origin, case_uuid=case.case_uuid).delete()[0]


def case_cite(*, doctor: User, case: Case, appointment_id: int, note: str = "") -> CaseCitation:
    """Cite a case in one of the doctor's own consultations (counts as a usage). Raises AccessRefused (audited)
    for another doctor's appointment."""
    from consult.selectors.clinical import appointment_by_id

    appointment = appointment_by_id(appointment_id=appointment_id)
    decision = (policy.appointment_doctor(doctor, doctor_id=appointment.doctor_id) if appointment is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "appointment_doctor"))
    policy.require(decision, actor=doctor, object_type="appointment", object_id=appointment_id,
                   action=policy.Action.WRITE, subject=appointment.patient if appointment else None,
                   message=_("Appointment not found."))
    with transaction.atomic():
        return _cite(doctor=doctor, case=case, appointment=appointment, note=note)


def _cite(*, doctor: User, case: Case, appointment: Any, note: str) -> CaseCitation:
    citation, created = CaseCitation.objects.get_or_create(case=case, appointment=appointment,
                                                           defaults={"doctor": doctor, "note": note[:300]})
    if created:
        case_event_record(case=case, kind=EventKind.CITE, actor=doctor, target_node=f"appointment:{appointment.pk}")
    return citation


@transaction.atomic
def case_forward(*, sender: User, case: Case, recipient: User) -> CaseEvent:
    """Forward a case to a colleague (a doctor): a usage, an edge sender → recipient, and a notification."""
    if recipient.role != Role.DOCTOR or recipient.pk == sender.pk:
        raise ApplicationError(_("Cases can be forwarded to another doctor only."))
    event = case_event_record(case=case, kind=EventKind.FORWARD, actor=sender, target_node=_node(recipient))
    notify(user=recipient, kind="rarecases.forward", title=str(_("A colleague shared a rare case with you")),
           body=case.title, url=f"/rarecases/cases/{case.pk}/", dedupe_key=f"rarecases:fwd:{event.event_uuid}")
    return event
