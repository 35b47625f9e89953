"""Reads of rarecases: settings, encounter data (consult has no selectors for these yet, so the reads of
its tables are kept here, read-only, in one place), search, access counts and the propagation index."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case as DBCase
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum, TextField, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from core.errors import NotFound

from .models import (
    USAGE_KINDS,
    Case,
    CaseEvent,
    CaseFollow,
    CaseReference,
    EventKind,
    Peer,
    PlatformProfile,
    RareCandidate,
    RarecasesSettings,
    TrendModel,
)

VIEW_KINDS = (EventKind.VIEW, EventKind.REMOTE_VIEW)

# Propagation index weights (docs/rarecases.md): how far a use carries a case beyond the reader.
PROPAGATION_WEIGHTS = {
    EventKind.DOWNLOAD: 1.0,
    EventKind.CITE: 2.0,
    EventKind.FORWARD: 1.5,
    EventKind.SHARE_PEER: 2.0,
    EventKind.REMOTE_USE: 2.0,
    EventKind.REMOTE_VIEW: 0.5,
}


def settings_get() -> RarecasesSettings:
    obj, _ = RarecasesSettings.objects.get_or_create(pk=1)
    return obj


def profile_get() -> PlatformProfile:
    from .profile import platform_profile

    return platform_profile()


def encounter_for_doctor(*, doctor: User, encounter_id: int) -> Any:
    """The encounter with its patient profile and diagnoses, if `doctor` wrote it; anyone else is refused
    (audited) as not found."""
    from consult.selectors.clinical import encounter_by_id

    enc = encounter_by_id(encounter_id=encounter_id)
    decision = (policy.author(doctor, author_id=enc.doctor_id) if enc is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "author"))
    policy.require(decision, actor=doctor, object_type="encounter", object_id=encounter_id,
                   action=policy.Action.WRITE, subject=enc.patient if enc else None, message=_("Encounter not found."))
    return enc


def candidates_for_doctor(doctor: User) -> QuerySet[RareCandidate]:
    """Rare-case candidates of the newest rarity run among the doctor's own encounters."""
    latest = RareCandidate.objects.order_by("-run_id").values_list("run_id", flat=True).first()
    if latest is None:
        return RareCandidate.objects.none()
    return (RareCandidate.objects.filter(run_id=latest, doctor=doctor)
            .select_related("encounter", "diagnosis__code").order_by("incidence", "-encounter__occurred_at"))


def case_search(*, q: str = "", code: str = "", category: str = "", phenotype: str = "") -> QuerySet[Case]:
    """Current versions of local and received cases matching every word of `q` (English or Chinese, codes
    such as HP:0001250 / ORPHA:716 / E70.0 inside it too), an ICD-10 code prefix, an ICD-10 block or chapter
    or ORPHA id, a phenotype (HPO id: the term or any descendant; or words). On PostgreSQL a full-text match
    over the jieba-segmented tokens, ranked by ts_rank_cd then newest; on SQLite every token must occur
    (newest first). See rarecases/textsearch.py."""
    from django.db import connection

    from . import textsearch

    qs = Case.objects.current().select_related("received_from")
    groups = textsearch.query_terms(q[:300]) if q else []
    if code:
        groups.append([textsearch.code_token("icd", code.strip()[:8]) + "*"])
    if phenotype:
        groups += textsearch.query_terms(phenotype[:100])
    if category:
        cat = category.strip().upper()
        orpha = textsearch.ORPHA.fullmatch(cat)
        if orpha:
            groups.append([f"orpha{int(orpha.group(1))}"])
        else:
            qs = qs.filter(Q(category=cat) | Q(chapter=cat))
    if not groups:
        return qs.order_by("-created_at")
    if connection.vendor == "postgresql":
        return fts_match(qs, groups).order_by("-rank", "-created_at")
    from django.db.models.functions import Concat

    qs = qs.annotate(padded=Concat(Value(" "), "search_tokens", Value(" "), output_field=TextField()))
    for group in groups:
        alternatives = Q()
        for alt in group:
            both = Q()
            for tok in alt.split("&"):
                both &= Q(padded__contains=f" {tok[:-1]}") if tok.endswith("*") else Q(padded__contains=f" {tok} ")
            alternatives |= both
        qs = qs.filter(alternatives)
    return qs.order_by("-created_at")


def fts_match(qs: QuerySet[Case], groups: list[list[str]]) -> QuerySet[Case]:
    """PostgreSQL: the cases whose tsvector matches the query groups, annotated with their rank. The vector
    expression is exactly the one of the GIN index of migration 0003, so the planner can use it."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    from . import textsearch

    vector = SearchVector("search_tokens", config="simple")
    query = SearchQuery(textsearch.to_tsquery(groups), search_type="raw", config="simple")
    return qs.annotate(fts=vector).filter(fts=query).annotate(rank=SearchRank(vector, query, cover_density=True))


def case_get(*, case_id: int) -> Case:
    case = Case.objects.select_related("received_from").filter(pk=case_id).first()
    if case is None:
        raise NotFound("Case not found.")
    return case


def case_for_doctor(*, user: User, case_id: int) -> Case:
    """A de-identified case, for any doctor (the rule of sharing); anyone else is refused (audited)."""
    return policy.obtain(Case.objects.select_related("received_from"), case_id, actor=user,
                         object_type="rarecases.case", subject=None,
                         decide=lambda case: policy.can(user, "rarecases.use"), message=_("Case not found."))


def is_following(*, user: User, case: Case) -> bool:
    return CaseFollow.objects.filter(user=user, origin=case.origin, case_uuid=case.case_uuid).exists()


def followed_cases(user: User) -> QuerySet[Case]:
    pairs = CaseFollow.objects.filter(user=user).values_list("case_uuid", flat=True)
    return Case.objects.current().filter(case_uuid__in=list(pairs))


def peers_related(case: Case) -> list[Peer]:
    """S900: enabled peers whose feature tags overlap the case's tags ("all" matches everything)."""
    tags = set(case.tags)
    out = []
    for peer in Peer.objects.filter(enabled=True).order_by("pk"):
        ptags = set(peer.tags)
        if peer.instance_id == case.origin:
            continue
        if "all" in ptags or ptags & tags:
            out.append(peer)
    return out


def total_traffic(*, since: datetime) -> int:
    return CaseEvent.objects.filter(at__gte=since, kind__in=[*VIEW_KINDS, *USAGE_KINDS]).count()


def period_hours(*, now: datetime | None = None) -> float:
    """S500: the period shrinks as traffic grows. P = clamp(P_base · R / max(N, R), P_min, P_base), with N the
    accesses of the last base period and R the reference traffic (docs/rarecases.md)."""
    s = settings_get()
    now = now or timezone.now()
    n = total_traffic(since=now - timedelta(hours=s.base_period_hours))
    return period_length(base=s.base_period_hours, minimum=s.min_period_hours, reference=s.reference_traffic,
                         traffic=n)


def period_length(*, base: float, minimum: float, reference: int, traffic: int) -> float:
    return max(minimum, min(base, base * reference / max(traffic, reference, 1)))


def period_counts(*, cases: QuerySet[Case], period: timedelta, n_periods: int, end: datetime) -> list[dict]:
    """Views and usages per case per period, in one GROUP BY query (conditional counts per period).
    Period i covers [end − (n−i)·period, end − (n−i−1)·period), oldest first."""
    ann: dict[str, Any] = {}
    for i in range(n_periods):
        lo = end - (n_periods - i) * period
        hi = lo + period
        window = Q(events__at__gte=lo, events__at__lt=hi)
        ann[f"v{i}"] = Count("events", filter=window & Q(events__kind__in=VIEW_KINDS))
        ann[f"u{i}"] = Count("events", filter=window & Q(events__kind__in=USAGE_KINDS))
    return list(cases.annotate(**ann).values("pk", "chapter", "created_at", *ann.keys()).order_by("pk"))


def propagation_index_expr() -> Any:
    weighted = Sum(
        DBCase(*[When(events__kind=k, then=Value(w)) for k, w in PROPAGATION_WEIGHTS.items()],
               default=Value(0.0), output_field=FloatField()) * (1 + F("events__depth")),
        output_field=FloatField(),
    )
    reached = Count("events__target_node", filter=~Q(events__target_node="") & Q(events__kind__in=list(
        PROPAGATION_WEIGHTS)), distinct=True)
    return Coalesce(weighted, Value(0.0), output_field=FloatField()) + reached


def propagation_indices(cases: QuerySet[Case]) -> dict[int, float]:
    """S530: PI = Σ over propagating events w(kind)·(1 + depth) + number of distinct nodes reached."""
    return {row["pk"]: float(row["pi"]) for row in cases.annotate(pi=propagation_index_expr()).values("pk", "pi")}


def propagation_graph(case: Case) -> dict[str, Any]:
    """S510–S520: nodes and edges (with counts) of where the case went."""
    edges = (CaseEvent.objects.filter(case__case_uuid=case.case_uuid, case__origin=case.origin)
             .exclude(target_node="").values("source_node", "target_node", "kind").annotate(n=Count("id"))
             .order_by("source_node", "target_node", "kind"))
    edge_list = [dict(e) for e in edges]
    nodes = sorted({e["source_node"] for e in edge_list} | {e["target_node"] for e in edge_list})
    return {"nodes": nodes, "edges": edge_list}


def case_stats(case: Case) -> dict[str, Any]:
    counts = dict(case.events.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    pi = propagation_indices(Case.objects.filter(pk=case.pk)).get(case.pk, 0.0)
    return {"counts": counts, "propagation_index": round(pi, 2),
            "views": sum(counts.get(k, 0) for k in VIEW_KINDS),
            "usages": sum(counts.get(k, 0) for k in USAGE_KINDS)}


def trend_models() -> QuerySet[TrendModel]:
    return TrendModel.objects.defer("blob").order_by("-version")


def active_models() -> tuple[TrendModel | None, TrendModel | None]:
    """(first, second): the newest full model, and the newest incremental model derived after it."""
    first = TrendModel.objects.filter(kind=TrendModel.Kind.FULL, is_active=True).order_by("-version").first()
    if first is None:
        return None, None
    second = (TrendModel.objects.filter(kind=TrendModel.Kind.INCREMENTAL, is_active=True, version__gt=first.version)
              .order_by("-version").first())
    return first, second


def safe_float(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def appointments_for_doctor(doctor: User, days: int = 90) -> QuerySet[Any]:
    """The doctor's own consultations of the last `days` days, newest first (to cite a case in). Not sliced:
    the cite form validates the chosen one against this queryset."""
    from consult.selectors.clinical import appointments_of_doctor

    return appointments_of_doctor(doctor=doctor, since=timezone.now() - timedelta(days=days))


def case_references(case: Case) -> QuerySet[CaseReference]:
    return CaseReference.objects.filter(origin=case.origin, case_uuid=case.case_uuid).select_related("related_case")


def platform_status() -> dict[str, Any]:
    """Counts for admins, federation tests and the benchmark (one GROUP BY each)."""
    from .models import OutboxMessage
    from .profile import platform_profile, profile_public

    cases = Case.objects.all()
    outbox: dict[str, dict[str, int]] = {}
    for row in OutboxMessage.objects.values("peer__instance_id", "kind", "status").annotate(n=Count("id")):
        outbox.setdefault(row["peer__instance_id"], {})[f"{row['kind']}:{row['status']}"] = row["n"]
    received = dict(cases.filter(received_from__isnull=False).values_list("origin").annotate(n=Count("id"))
                    .values_list("origin", "n"))
    return {"profile": profile_public(platform_profile()),
            "cases": {"local": cases.filter(received_from__isnull=True).count(), "received_by_origin": received,
                      "received_distinct": cases.filter(received_from__isnull=False)
                      .values("origin", "case_uuid", "version").distinct().count()},
            "outbox": outbox, "mme": mme_status()}


def mme_status() -> dict[str, Any]:
    """MME counts for admins and the federation tests: profiles, requests received (and test ones), results
    sent, peers."""
    from .models import MatchProfile, MatchRequest, MatchRequestResult, MmeNode

    return {"profiles": MatchProfile.objects.count(), "requests": MatchRequest.objects.count(),
            "test_requests": MatchRequest.objects.filter(is_test=True).count(),
            "results_sent": MatchRequestResult.objects.count(), "peers": MmeNode.objects.count()}


# --- Matchmaker Exchange and similar-patient searches --------------------------------------------------


def similar_search_for(*, doctor: User, search_id: int) -> Any:
    """A search the doctor started, with its peer queries; anyone else's id is refused (audited, NotFound)."""
    from .models import SimilarSearch

    search = (SimilarSearch.objects.select_related("case").prefetch_related("peer_queries__node")
              .filter(pk=search_id, doctor=doctor).first())
    if search is None:
        policy.refuse(actor=doctor, object_type="rarecases.similar_search", object_id=search_id,
                      reason="not the doctor's search", rule="owner")
    return search


def similar_results(search: Any) -> dict[str, Any]:
    """What the results page shows: local hits with their cases and contacts (two queries whatever the
    number of hits), and each peer's state and answers."""
    from .models import MatchProfile, PeerQueryStatus, ProfileSource
    from .profile import our_contact

    ids = [r["case_id"] for r in search.local_results]
    profiles = {p.case_id: p for p in MatchProfile.objects.select_related("case", "case__received_from")
                .filter(case_id__in=ids)}
    mine = our_contact()
    local = []
    for r in search.local_results:
        p = profiles.get(r["case_id"])
        if p is None:  # deleted since
            continue
        if p.source == ProfileSource.IMPORTED:
            contact = p.contact
        elif p.case.received_from_id:
            contact = {"name": p.case.received_from.name, "href": p.case.received_from.url}
        else:
            contact = mine
        local.append({**r, "case": p.case, "profile": p, "contact": contact, "percent": round(100 * r["score"])})
    peers = []
    for q in search.peer_queries.all():
        answers = [{"score": a.get("score", {}).get("patient", 0), "percent": round(100 * a.get("score", {})
                    .get("patient", 0)), "patient": a.get("patient", {}), "why": a.get("_why", {})}
                   for a in q.results]
        peers.append({"query": q, "answers": answers})
    waiting = any(q.status in (PeerQueryStatus.PENDING, PeerQueryStatus.RUNNING) for q in search.peer_queries.all())
    return {"local": local, "peers": peers, "waiting": waiting}


def incoming_for_doctor(doctor: User) -> QuerySet[Any]:
    """Our cases (confirmed by this doctor) that non-test MME queries from peers were answered with."""
    from .models import MatchRequestResult

    return (MatchRequestResult.objects.filter(case__confirmed_by=doctor, request__is_test=False)
            .select_related("request__node", "case").order_by("-request__received_at", "rank"))


def incoming_for_case(*, case: Case, doctor: User, limit: int = 10) -> list[Any]:
    if case.confirmed_by_id != doctor.pk:
        return []
    return list(incoming_for_doctor(doctor).filter(case__case_uuid=case.case_uuid, case__origin=case.origin)[:limit])


def phenotype_suggestions(draft: dict[str, Any], limit: int = 12) -> list[dict[str, str]]:
    """HPO terms annotated to the Orphanet classes of the draft's codes, most informative first: what the
    doctor may want to check for (suggestions only; nothing is added without the doctor's choice)."""
    from .matching import ontology as onto

    terms: set[int] = set()
    for o in draft.get("orpha", [])[:5]:
        key = onto.disorder_key(o.get("id", ""))
        found = onto.disorder(key) if key else None
        if found:
            terms |= set(found[1])
    ranked = sorted(terms, key=lambda t: (-onto.ic(t), t))[:limit]
    return [onto.term_dict(t) for t in ranked]
