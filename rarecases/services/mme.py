"""Matchmaker Exchange (MME v1.1): peers and their tokens, matching profiles of cases, the in-memory match
index, answering /mme/match, /mme/heartbeat and /mme/metrics, and importing MME patients.

Authentication is per peer by X-Auth-Token (join-protocol.md): the token's SHA-256 is stored, never the
token; a lookup by hash answers who sent a request. The tokens are 40 random hex characters (the spec's
recommendation), so a plain hash is enough (no password-style stretching needed for 160 random bits).
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record, notify
from core.errors import ApplicationError

from .. import conf, crypto, mme_protocol, textsearch, vocab
from ..matching import genes as gene_ids
from ..matching import ontology as onto
from ..matching.index import MatchIndex
from ..matching.scoring import Profile, explain
from ..models import (
    Case,
    MatchProfile,
    MatchRequest,
    MatchRequestResult,
    MmeNode,
    ProfileSource,
    RarecasesSettings,
)
from ..profile import our_contact, platform_profile  # noqa: F401 - our_contact is used by callers
from ..textsearch import search_text_for

logger = logging.getLogger(__name__)

SOFTWARE_VERSION = "0.1.0"
SEX_TO_MME = {"female": "FEMALE", "male": "MALE", "other": "OTHER"}
SEX_FROM_MME = {v: k for k, v in SEX_TO_MME.items()}
IMPORT_NAMESPACE = uuid.UUID("5b1f3c2e-9a4d-4c1e-8f27-6d0b9e6a1c35")


class InvalidPatient(ApplicationError):
    code = "invalid_patient"


# --- peers and tokens ---------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def node_issue_token(*, node: MmeNode) -> str:
    """A new incoming token for the peer (the old one stops working). Returned once; only its hash is kept."""
    token = secrets.token_hex(20)
    node.token_in_hash, node.token_in_hint = _hash(token), token[-4:]
    node.save(update_fields=["token_in_hash", "token_in_hint"])
    return token


def node_set_token_in(*, node: MmeNode, token: str) -> MmeNode:
    """Store an incoming token agreed out of band (set-up of a federation on one machine)."""
    if not 16 <= len(token) < 255:
        raise ApplicationError(_("An MME token must have 16 to 254 characters."))
    node.token_in_hash, node.token_in_hint = _hash(token), token[-4:]
    node.save(update_fields=["token_in_hash", "token_in_hint"])
    return node


def node_set_token_out(*, node: MmeNode, token: str) -> MmeNode:
    if not 0 < len(token) < 255:
        raise ApplicationError(_("An MME token must have 16 to 254 characters."))
    node.token_out_encrypted = crypto.encrypt(token)
    node.save(update_fields=["token_out_encrypted"])
    return node


def node_token_out(node: MmeNode) -> str:
    return crypto.decrypt(node.token_out_encrypted) if node.token_out_encrypted else ""


@transaction.atomic
def node_create(*, name: str, base_url: str = "", token_out: str = "", token_in: str = "", description: str = "",
                content_type: str = mme_protocol.ACCEPT[0], timeout_seconds: float = 10.0) -> MmeNode:
    """Register an MME peer. Raises ApplicationError (nothing stored) for an invalid field."""
    node = MmeNode(name=name, base_url=base_url.rstrip("/"), description=description, content_type=content_type,
                   timeout_seconds=timeout_seconds)
    try:
        node.full_clean()
    except Exception as exc:  # django ValidationError: one domain error for the caller
        raise ApplicationError(_("Invalid MME peer: %(error)s") % {"error": exc}) from exc
    node.save()
    if token_out:
        node_set_token_out(node=node, token=token_out)
    if token_in:
        node_set_token_in(node=node, token=token_in)
    return node


def node_authenticate(token: str) -> MmeNode | None:
    """The peer that owns this X-Auth-Token and may query us, or None."""
    if not token or len(token) >= 255:
        return None
    return MmeNode.objects.filter(token_in_hash=_hash(token), accept_queries=True).first()


# --- matching profiles of cases -------------------------------------------------------------------------


def _features_from_ids(observed: list[str], excluded: list[str] | None = None) -> list[dict[str, str]]:
    out = []
    for ids, flag in ((observed, "yes"), (excluded or [], "no")):
        for raw in ids:
            t = onto.term_int(raw)
            if t is not None and onto.exists(t):
                out.append({"id": onto.term_str(t), "label": onto.name(t), "observed": flag})
    return out


def _disorders_of_case(case: Case) -> list[dict[str, str]]:
    """Orphanet classes of the case's ICD-10 codes that are specific enough to be evidence: the exact
    cross-references, or all related ones when there are at most three (vocab.orpha_for_code)."""
    out, seen = [], set()
    for c in case.codes:
        for o in vocab.orpha_evidence(c.get("code", "")):
            if o["id"] not in seen:
                seen.add(o["id"])
                out.append({"id": onto.disorder_mme_id(o["id"]), "label": o["name"]})
    for o in case.orpha:
        key = onto.disorder_key(o.get("id", ""))
        if key and key not in seen and not case.codes:
            seen.add(key)
            out.append({"id": onto.disorder_mme_id(key), "label": o.get("name", "")})
    return out


def profile_fields(case: Any, *, excluded: list[str] | None = None, genes: list[str] | None = None) -> dict[str, Any]:
    """The matching-profile fields of a local or received case (pure: also used by migration 0003)."""
    features = _features_from_ids([p.get("id", "") for p in case.phenotypes], excluded)
    genomic = [{"gene": {"id": g}} for g in dict.fromkeys(x.strip() for x in (genes or [])) if gene_ids.gene_key(g)]
    return {"features": features, "disorders": _disorders_of_case(case), "genomic_features": genomic,
            "sex": SEX_TO_MME.get(case.sex, ""), "label": case.title[:255], "is_test": False}


def search_tokens_for(case: Any, *, features: list[dict], disorders: list[dict], genomic: list[dict]) -> str:
    """The case's full-text tokens (pure: also used by migration 0003)."""
    observed = {t for t in (onto.term_int(f["id"]) for f in features if f.get("observed", "yes") == "yes") if t}
    keys = [k for k in (onto.disorder_key(d["id"]) for d in disorders) if k]
    fields = {k: getattr(case, k) for k in ("title", "findings", "treatment", "outcome", "region", "category",
                                            "codes", "orpha")}
    fields["phenotypes"] = [{**p, "name_zh": onto.name_zh(onto.term_int(p.get("id", "")) or 0)}
                            for p in case.phenotypes]
    gene_keys = [k for k in (gene_ids.gene_key(str(g["gene"]["id"])) for g in genomic) if k]
    return textsearch.tokens_for(fields, hpo_closure=onto.closure(observed), genes=gene_keys, disorders=keys)


def profile_for_case(*, case: Case, source: str, excluded: list[str] | None = None,
                     genes: list[str] | None = None) -> MatchProfile:
    """(Re)build the matching profile of a local or received case from its fields (HPO terms observed,
    `excluded` ones as observed: no, Orphanet classes of its codes, `genes` as HGNC symbols/Ensembl ids) and
    refresh the case's search tokens. Call inside the transaction that stored the case."""
    profile, _created = MatchProfile.objects.update_or_create(
        case=case, defaults={"source": source, **profile_fields(case, excluded=excluded, genes=genes)})
    _refresh_tokens(case, profile)
    return profile


def _refresh_tokens(case: Case, profile: MatchProfile) -> None:
    case.search_tokens = search_tokens_for(case, features=profile.features, disorders=profile.disorders,
                                           genomic=profile.genomic_features)
    Case.objects.filter(pk=case.pk).update(search_tokens=case.search_tokens)


def profile_of(mp: MatchProfile, *, key: Any = None) -> Profile:
    """The matching view of a stored profile (or of an MME patient dict, see profile_from_patient)."""
    return _profile(key=mp.case_id if key is None else key, features=mp.features, disorders=mp.disorders,
                    genomic=mp.genomic_features, is_test=mp.is_test)


def _profile(*, key: Any, features: list[dict], disorders: list[dict], genomic: list[dict],
             is_test: bool) -> Profile:
    observed, negated = set(), set()
    for f in features:
        t = onto.term_int(f.get("id", ""))
        if t is not None:
            (negated if f.get("observed", "yes") == "no" else observed).add(t)
    keys = {k for k in (onto.disorder_key(d.get("id", "")) for d in disorders) if k}
    genes, variants = set(), set()
    for g in genomic:
        gk = gene_ids.gene_key(str((g.get("gene") or {}).get("id", "")))
        if gk is None:
            continue
        genes.add(gk)
        vk = gene_ids.variant_key(g)
        if vk:
            variants.add((gk, vk))
    return Profile.build(key=key, observed=observed, negated=negated, disorders=keys, genes=genes,
                         variants=variants, is_test=is_test, disorder_closure=_disorder_closure(frozenset(keys)))


_closure_cache: dict[frozenset[str], frozenset[int]] = {}


def _disorder_closure(keys: frozenset[str]) -> frozenset[int]:
    found = _closure_cache.get(keys)
    if found is None:
        found = onto.disorder_closure(keys)
        if len(_closure_cache) < 20_000:
            _closure_cache[keys] = found
    return found


def profile_from_patient(patient: dict[str, Any], *, key: Any = "query") -> Profile:
    return _profile(key=key, features=patient.get("features") or [], disorders=patient.get("disorders") or [],
                    genomic=patient.get("genomicFeatures") or [], is_test=bool(patient.get("test")))


# --- the index ---------------------------------------------------------------------------------------------


class _IndexCache:
    """The match index of all current cases with a profile, per process, rebuilt when a profile was added,
    changed or removed (COUNT and MAX(updated_at) of the profiles: one cheap query per request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._index: MatchIndex | None = None

    def get(self) -> MatchIndex:
        state = MatchProfile.objects.aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("case_id"))
        key = (state["n"], state["last"], state["top"])
        with self._lock:
            if self._index is None or key != self._key:
                self._index = MatchIndex(_load_profiles())
                self._key = key
            return self._index

    def clear(self) -> None:
        with self._lock:
            self._index, self._key = None, None


def _load_profiles() -> list[Profile]:
    rows = (MatchProfile.objects.filter(case__is_current=True)
            .values_list("case_id", "features", "disorders", "genomic_features", "is_test").order_by("case_id"))
    return [_profile(key=cid, features=f, disorders=d, genomic=g, is_test=t) for cid, f, d, g, t in rows.iterator(2000)]


INDEX = _IndexCache()


def match_index() -> MatchIndex:
    return INDEX.get()


# --- answering /mme/match ----------------------------------------------------------------------------------


def _settings() -> RarecasesSettings:
    obj, _ = RarecasesSettings.objects.get_or_create(pk=1)
    return obj




def patient_for(profile: MatchProfile, *, contact: dict[str, str] | None = None) -> dict[str, Any]:
    """A stored case as an MME patient object (what a peer sees of it: no free text, no age, no region)."""
    case = profile.case
    if profile.source == ProfileSource.IMPORTED:
        pid, contact = profile.external_id, profile.contact
    else:
        pid = f"{case.origin}:{case.case_uuid}"
        if profile.source == ProfileSource.RECEIVED and case.received_from_id:
            peer = case.received_from
            contact = {"name": peer.name, "href": str(peer.profile.get("base_url") or peer.url)}
        contact = contact or our_contact()
    patient: dict[str, Any] = {"id": pid[:255], "label": (profile.label or case.title)[:255], "contact": contact,
                               "species": "NCBITaxon:9606"}
    if profile.sex:
        patient["sex"] = profile.sex
    for field, attr in (("ageOfOnset", "age_of_onset"), ("inheritanceMode", "inheritance_mode")):
        if getattr(profile, attr):
            patient[field] = getattr(profile, attr)
    patient["features"] = [{k: v for k, v in f.items() if k in ("id", "label", "observed")} for f in profile.features]
    if profile.disorders:
        patient["disorders"] = profile.disorders
    if profile.genomic_features:
        patient["genomicFeatures"] = profile.genomic_features
    if not patient["features"] and not profile.genomic_features:
        patient.pop("features")
    if profile.is_test:
        patient["test"] = True
    return patient


def _why_public(why: dict[str, Any]) -> dict[str, Any]:
    return {"sharedFeatures": [{"query": f["query"]["id"], "shared": f["shared"]["id"], "label": f["shared"]["name"],
                                "same": f["same"]} for f in why["features"]],
            "byDisorder": [t["id"] for t in why["by_disorder"]], "conflicts": [t["id"] for t in why["conflicts"]],
            "sharedGenes": why["genes"], "sharedVariants": why["variants"], "sharedDisorders": why["disorders"]}


def match_local(*, query: Profile, include_test: bool, limit: int | None = None, threshold: float | None = None,
                exclude_case_ids: set[int] | None = None) -> list[dict[str, Any]]:
    """The best local/received/imported cases for a query: [{case_id, score parts, why}], best first."""
    s = _settings()
    index = match_index()
    hits = index.search(query, limit=s.mme_max_results if limit is None else limit,
                        threshold=s.mme_threshold if threshold is None else threshold,
                        include_test=include_test, exclude=exclude_case_ids)
    out = []
    for h in hits:
        cand = index.profile(h.key)
        out.append({"case_id": h.key, "score": round(h.total, 4), "phenotype": h.phenotype, "genotype": h.genotype,
                    "disorders": h.disorders, "why": explain(query, cand) if cand is not None else {}})
    return out


def mme_match(*, node: MmeNode, request_body: dict[str, Any]) -> dict[str, Any]:
    """Answer a validated MME request from `node`: the best cases above the threshold, logged as a
    MatchRequest with one MatchRequestResult per case returned, the cases' doctors notified — unless the query
    is a test (answered, logged as test, nobody notified, not counted)."""
    started = time.monotonic()
    patient = request_body["patient"]
    is_test = bool(patient.get("test"))
    query = profile_from_patient(patient)
    results = match_local(query=query, include_test=is_test)
    profiles = {p.case_id: p for p in MatchProfile.objects.select_related("case", "case__received_from")
                .filter(case_id__in=[r["case_id"] for r in results])}
    results = [r for r in results if r["case_id"] in profiles]  # a case deleted since the index was built
    s = _settings()
    contact = our_contact(s)
    body_results = []
    for r in results:
        mp = profiles[r["case_id"]]
        score = {"patient": r["score"]}
        score.update({f"_{k}": round(r[k], 4) for k in ("phenotype", "genotype", "disorders") if r[k] is not None})
        body_results.append({"score": score, "patient": patient_for(mp, contact=contact),
                             "_why": _why_public(r["why"])})
    response: dict[str, Any] = {"results": body_results}
    if s.mme_disclaimer:
        response["disclaimer"] = s.mme_disclaimer
    with transaction.atomic():
        req = MatchRequest.objects.create(node=node, query_id=str(patient["id"])[:255], query=patient, is_test=is_test,
                                          n_results=len(results), duration_ms=int((time.monotonic() - started) * 1000))
        MatchRequestResult.objects.bulk_create([
            MatchRequestResult(request=req, case_id=r["case_id"], rank=i, score=r["score"], why=r["why"])
            for i, r in enumerate(results, start=1)])
        if not is_test:
            for r in results:
                case = profiles[r["case_id"]].case
                if case.confirmed_by_id and case.received_from_id is None:
                    notify(user=case.confirmed_by, kind="rarecases.mme_match",
                           title=str(_("Someone looked for a patient like yours")),
                           body=f"{node.name}: {case.title} ({r['score']:.2f})", url="/rarecases/mme/incoming/",
                           dedupe_key=f"rarecases:mme:{req.pk}:{case.pk}")
        audit_record(actor=None, actor_label=f"mme:{node.name}"[:150], action="read", object_type="rarecases.mme_match",
                     object_id=str(req.pk), detail={"node": node.pk, "test": is_test,
                                                    "cases": [r["case_id"] for r in results]})
    return response


def heartbeat() -> dict[str, Any]:
    body: dict[str, Any] = {"heartbeat": {"production": conf.mme_production(), "version": SOFTWARE_VERSION,
                                          "accept": list(mme_protocol.ACCEPT)}}
    s = _settings()
    if s.mme_disclaimer:
        body["disclaimer"] = s.mme_disclaimer
    return body


def metrics() -> dict[str, Any]:
    """metrics-api.md over the cases available for matching (current, not test). Requests and matches count
    non-test queries only."""
    rows = list(MatchProfile.objects.filter(case__is_current=True, is_test=False)
                .values_list("case_id", "source", "contact", "features", "disorders", "genomic_features",
                             "case__confirmed_by_id", "case__origin"))
    genes, variants, features, feature_sets, submitters = [], [], [], [], set()
    with_diagnosis = 0
    for _cid, source, contact, feats, dis, genomic, doctor, origin in rows:
        submitters.add(("contact", (contact or {}).get("name", "")) if source == ProfileSource.IMPORTED
                       else ("doctor", doctor) if doctor else ("origin", origin))
        observed = sorted(f["id"] for f in feats if f.get("observed", "yes") == "yes")
        features += observed
        if observed:
            feature_sets.append(tuple(observed))
        for g in genomic:
            key = gene_ids.gene_key(str(g.get("gene", {}).get("id", "")))
            if key:
                genes.append(key)
                vk = gene_ids.variant_key(g)
                if vk:
                    variants.append((key, vk))
        with_diagnosis += bool(dis)
    matched = set()
    for why in MatchRequestResult.objects.filter(request__is_test=False).values_list("why", flat=True):
        matched |= set((why or {}).get("genes", []))
    requests_ = MatchRequest.objects.filter(is_test=False)
    body: dict[str, Any] = {"metrics": {
        "numberOfCases": len(rows), "numberOfSubmitters": len(submitters),
        "numberOfGenes": len(genes), "numberOfUniqueGenes": len(set(genes)),
        "numberOfVariants": len(variants), "numberOfUniqueVariants": len(set(variants)),
        "numberOfFeatures": len(features), "numberOfUniqueFeatures": len(set(features)),
        "numberOfFeatureSets": len(feature_sets), "numberOfUniqueGenesMatched": len(matched),
        "numberOfCasesWithDiagnosis": with_diagnosis, "numberOfRequestsReceived": requests_.count(),
        "numberOfPotentialMatchesSent": MatchRequestResult.objects.filter(request__is_test=False).count(),
        "dateGenerated": timezone.localdate().isoformat()}}
    s = _settings()
    if s.mme_disclaimer:
        body["disclaimer"] = s.mme_disclaimer
    return body


# --- importing MME patients ------------------------------------------------------------------------------


def _repair(patient: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Drop variants without the `start` the spec requires (the gene is kept): two of the spec's own benchmark
    patients carry such a variant. Returns the patient and what was repaired."""
    notes = []
    out = dict(patient)
    genomic = []
    for i, g in enumerate(patient.get("genomicFeatures") or []):
        g = dict(g)
        v = g.get("variant")
        if isinstance(v, dict) and "start" not in v:
            g.pop("variant")
            notes.append(f"{patient.get('id')}: genomicFeatures/{i}: variant without start dropped, gene kept")
        genomic.append(g)
    if "genomicFeatures" in patient:
        out["genomicFeatures"] = genomic
    return out, notes


def _case_fields(patient: dict[str, Any]) -> dict[str, Any]:
    observed = [f for f in patient.get("features", []) if f.get("observed", "yes") == "yes"]
    phenotypes = []
    for f in observed:
        t = onto.term_int(f["id"])
        if t is not None and onto.exists(t):
            phenotypes.append({"id": onto.term_str(t), "name": onto.name(t)})
    orpha = [{"id": f"ORPHA:{k.split(':')[1]}", "name": (onto.disorder(k) or (d.get("label", ""),))[0]}
             for d in patient.get("disorders", []) if (k := onto.disorder_key(d["id"])) and k.startswith("ORPHA")]
    label = patient.get("label") or patient["id"]
    disorder = next((d.get("label") for d in patient.get("disorders", []) if d.get("label")), "")
    title = f"{label} — {disorder}" if disorder else str(label)
    genes = ", ".join(str(g["gene"]["id"]) for g in patient.get("genomicFeatures", []))
    return {"title": title[:200], "age_band": "unknown",
            "sex": SEX_FROM_MME.get(patient.get("sex", ""), "unknown"), "region": "", "codes": [], "category": "",
            "chapter": "", "orpha": orpha, "phenotypes": phenotypes,
            "findings": (f"Candidate genes: {genes}" if genes else "")[:5000], "treatment": "", "outcome": "",
            "tags": ["mme:imported"]}


def mme_patient_import(*, patient: dict[str, Any]) -> tuple[Case, str]:
    """Store one validated MME patient as a local case with its submitter's contact, keyed by its MME id:
    "created", "updated" (the patient changed) or "unchanged". Call inside a transaction."""
    me = platform_profile()
    pid = str(patient["id"])
    profile_fields = {
        "label": str(patient.get("label", ""))[:255], "contact": patient["contact"],
        "sex": patient.get("sex", ""), "age_of_onset": patient.get("ageOfOnset", ""),
        "inheritance_mode": patient.get("inheritanceMode", ""),
        "features": [{k: f[k] for k in ("id", "label", "observed") if k in f} for f in patient.get("features", [])],
        "disorders": [{k: d[k] for k in ("id", "label") if k in d} for d in patient.get("disorders", [])],
        "genomic_features": patient.get("genomicFeatures", []), "is_test": bool(patient.get("test"))}
    # The row lock makes two imports of the same file wait for each other instead of racing.
    existing = MatchProfile.objects.select_for_update().select_related("case").filter(
        source=ProfileSource.IMPORTED, external_id=pid).first()
    fields = _case_fields(patient)
    if existing is not None:
        same = all(getattr(existing, k) == v for k, v in profile_fields.items()) and all(
            getattr(existing.case, k) == v for k, v in fields.items())
        if same:
            return existing.case, "unchanged"
        for k, v in fields.items():
            setattr(existing.case, k, v)
        existing.case.search_text = _search_text(fields)
        existing.case.save(update_fields=[*fields, "search_text"])
        for k, v in profile_fields.items():
            setattr(existing, k, v)
        existing.save()
        _refresh_tokens(existing.case, existing)
        return existing.case, "updated"
    case = Case.objects.create(case_uuid=uuid.uuid5(IMPORT_NAMESPACE, pid), origin=me.instance_id,
                               provenance={"path": [me.instance_id], "mme_import": True},
                               search_text=_search_text(fields), **fields)
    try:
        with transaction.atomic():
            mp = MatchProfile.objects.create(case=case, source=ProfileSource.IMPORTED, external_id=pid, **profile_fields)
    except IntegrityError as exc:  # pragma: no cover - the row lock above serialises imports of one id
        raise ApplicationError(_("This MME patient is being imported by another process.")) from exc
    _refresh_tokens(case, mp)
    return case, "created"


def _search_text(fields: dict[str, Any]) -> str:
    return search_text_for(fields)


def mme_import(*, patients: Any) -> dict[str, Any]:
    """Import a JSON list of MME patients, all or nothing: every patient is checked against the schema first
    (after the documented repair) and InvalidPatient lists the ones that fail; then all are stored in one
    transaction. Importing the same file again changes nothing. Returns counts and the repairs made."""
    if not isinstance(patients, list):
        raise InvalidPatient(_("The file must hold a JSON list of MME patient objects."))
    repaired, notes, problems, ids = [], [], [], set()
    for i, p in enumerate(patients):
        p, n = _repair(p) if isinstance(p, dict) else (p, [])
        notes += n
        errs = mme_protocol.errors("patient", p)
        if errs:
            problems.append(f"#{i} ({p.get('id', '?') if isinstance(p, dict) else '?'}): {errs[0]}")
        elif str(p["id"]) in ids:
            problems.append(f"#{i} ({p['id']}): duplicate id in the file")
        else:
            ids.add(str(p["id"]))
        repaired.append(p)
    if problems:
        raise InvalidPatient(_("%(n)s patient(s) do not follow the MME schema; nothing was imported.")
                             % {"n": len(problems)}, extra={"problems": problems})
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        for p in repaired:
            _case, status = mme_patient_import(patient=p)
            counts[status] += 1
    return {**counts, "repairs": notes}


def mme_preview(draft: dict[str, Any], *, excluded_phenotype_ids: list[str] | None = None,
                genes: list[str] | None = None) -> dict[str, Any]:
    """What an MME query or answer would show of a case being confirmed (the confirm page's second preview)."""
    features = _features_from_ids([p["id"] for p in draft.get("phenotypes", [])], excluded_phenotype_ids)
    disorders, seen = [], set()
    for c in draft.get("codes", []):
        for o in vocab.orpha_evidence(c.get("code", "")):
            if o["id"] not in seen:
                seen.add(o["id"])
                disorders.append({"id": onto.disorder_mme_id(o["id"]), "label": o["name"]})
    patient: dict[str, Any] = {"id": "…", "label": draft.get("title", ""), "contact": our_contact(),
                               "species": "NCBITaxon:9606"}
    if SEX_TO_MME.get(draft.get("sex", "")):
        patient["sex"] = SEX_TO_MME[draft["sex"]]
    patient["features"] = features
    if disorders:
        patient["disorders"] = disorders
    if genes:
        patient["genomicFeatures"] = [{"gene": {"id": g}} for g in genes if gene_ids.gene_key(g)]
    return patient
