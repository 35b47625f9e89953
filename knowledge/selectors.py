"""Reads of the knowledge graph and of the triage answers kept on patients' records."""
from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts import policy
from knowledge.models import Edge, EdgeKind, Node, NodeKind, TriageRecord

MAX_ANCESTOR_DEPTH = 20


def node_ancestors(node_ids: list[int]) -> list[Node]:
    """Every is_a ancestor of the given nodes (symptom → broader symptoms; ICD-10 code → category → blocks),
    nearest first; each carries `.depth` (the number of is_a steps). Standard ORM, one query per level (the
    hierarchies are shallow: SYMP ≤ 8 levels, ICD-10 code → category → block → chapter); a node met again at a
    deeper level keeps its nearest depth, so a cycle ends the walk."""
    frontier = {int(pk) for pk in node_ids}
    depth_of: dict[int, int] = {}
    depth = 0
    while frontier and depth < MAX_ANCESTOR_DEPTH:
        depth += 1
        parents = set(Edge.objects.filter(kind=EdgeKind.IS_A, src_id__in=frontier).values_list("dst_id", flat=True))
        frontier = parents - depth_of.keys()
        depth_of.update(dict.fromkeys(frontier, depth))
    nodes = list(Node.objects.filter(pk__in=depth_of))
    for node in nodes:
        node.depth = depth_of[node.pk]
    return sorted(nodes, key=lambda n: (n.depth, n.pk))


def node_search(q: str, *, kinds: tuple[str, ...] = (NodeKind.DISEASE, NodeKind.SYMPTOM),
                limit: int = 30) -> QuerySet[Node]:
    """Diseases and symptoms whose English or Chinese name (or a synonym) holds the text."""
    q = (q or "").strip()
    if not q:
        return Node.objects.none()
    return (Node.objects.filter(kind__in=kinds)
            .filter(Q(search_text__contains=q.lower()) | Q(key__iexact=q))
            .order_by("kind", "name_en")[:limit])


def node_get(*, kind: str, key: str) -> Node | None:
    return Node.objects.filter(kind=kind, key=key).first()


def _neighbours(node: Node, kind: str, *, outgoing: bool = True) -> list[Node]:
    if outgoing:
        return list(Node.objects.filter(in_edges__src=node, in_edges__kind=kind).order_by("name_en"))
    return list(Node.objects.filter(out_edges__dst=node, out_edges__kind=kind).order_by("name_en"))


def departments_of_codes(code_ids: list[int]) -> list[Node]:
    """The department of the nearest ICD-10 range above the codes (the department table's most specific row)."""
    for ancestor in node_ancestors(code_ids):
        if ancestor.kind == NodeKind.ICD10:
            found = list(Node.objects.filter(in_edges__src_id=ancestor.pk, in_edges__kind=EdgeKind.SEEN_IN))
            if found:
                return found
    return []


def disease_detail(node: Node) -> dict[str, Any]:
    """A disease's symptoms, ICD-10 codes, department and the catalogue drugs indicated for its codes."""
    codes = _neighbours(node, EdgeKind.CODED_AS)
    code_ids = [c.pk for c in codes]
    categories = [a for a in node_ancestors(code_ids) if a.kind == NodeKind.ICD10 and "-" not in a.key]
    drugs = (Node.objects.filter(kind=NodeKind.DRUG, out_edges__kind=EdgeKind.TREATS,
                                 out_edges__dst_id__in=code_ids + [c.pk for c in categories])
             .distinct().order_by("name_en"))
    return {"symptoms": _neighbours(node, EdgeKind.HAS_SYMPTOM), "codes": codes,
            "departments": departments_of_codes(code_ids), "drugs": list(drugs)}


def symptom_detail(node: Node) -> dict[str, Any]:
    """A symptom's broader symptoms (recursive), narrower symptoms, its HPO term and the diseases that list it."""
    return {"broader": node_ancestors([node.pk]), "narrower": _neighbours(node, EdgeKind.IS_A, outgoing=False),
            "hpo": _neighbours(node, EdgeKind.SAME_AS),
            "diseases": _neighbours(node, EdgeKind.HAS_SYMPTOM, outgoing=False)}


def disease_symptom_map() -> tuple[dict[str, set[str]], dict[str, tuple[str, str]], dict[str, str]]:
    """For the condition score: DOID → its SYMP ids; DOID → (English, Chinese) name; DOID → first ICD-10 code."""
    symptoms: dict[str, set[str]] = {}
    for doid, symp in Edge.objects.filter(kind=EdgeKind.HAS_SYMPTOM).values_list("src__key", "dst__key"):
        symptoms.setdefault(doid, set()).add(symp)
    names = {key: (en, zh) for key, en, zh in
             Node.objects.filter(kind=NodeKind.DISEASE, key__in=symptoms).values_list("key", "name_en", "name_zh")}
    codes: dict[str, str] = {}
    for doid, code in (Edge.objects.filter(kind=EdgeKind.CODED_AS, src__key__in=symptoms)
                       .order_by("src__key", "dst__key").values_list("src__key", "dst__key")):
        codes.setdefault(doid, code)
    return symptoms, names, codes


def graph_version() -> tuple[int, int]:
    from django.db.models import Count, Max

    row = Edge.objects.aggregate(n=Count("pk"), top=Max("pk"))
    return row["n"] or 0, row["top"] or 0


def symptom_ids_by_name() -> dict[str, str]:
    """SYMP name (lower case) → id."""
    return {name.lower(): key for key, name in
            Node.objects.filter(kind=NodeKind.SYMPTOM).values_list("key", "name_en")}


def symptom_parents() -> dict[str, set[str]]:
    parents: dict[str, set[str]] = {}
    for child, parent in Edge.objects.filter(kind=EdgeKind.IS_A, src__kind=NodeKind.SYMPTOM).values_list(
            "src__key", "dst__key"):
        parents.setdefault(child, set()).add(parent)
    return parents


def triage_records_visible(actor: Any, *, patient: Any, limit: int = 3) -> list[TriageRecord]:
    """For the consultation and encounter pages: the patient's recent triage answers when the policy lets the
    actor read the patient's record (the patient side; a doctor with a care relation), else none — the page itself
    was opened by its own rule, so this incidental read refuses nothing (no audit row)."""
    if not policy.patient_record(actor, patient.pk):
        return []
    return [triage_record_shown(r) for r in TriageRecord.objects.filter(patient=patient)[:limit]]


def triage_record_shown(record: TriageRecord) -> dict[str, Any]:
    """A kept triage answer with names in the current language (departments, symptoms, red flags)."""
    from django.utils.translation import get_language

    from knowledge.lexicon import DEPARTMENTS, SYMPTOMS
    from knowledge.triage import RED_FLAGS

    zh = 1 if (get_language() or "").startswith("zh") else 0
    flags = {code: (en, cn) for code, en, cn, _ in RED_FLAGS}
    return {"created_at": record.created_at, "urgency": record.urgency,
            "red_flags": [flags[c][zh] for c in record.red_flags if c in flags],
            "departments": [DEPARTMENTS[c][zh] for c in record.departments if c in DEPARTMENTS],
            "symptoms": [SYMPTOMS[s["id"]][zh] for s in record.symptoms if s["id"] in SYMPTOMS and not s["negated"]],
            "negated": [SYMPTOMS[s["id"]][zh] for s in record.symptoms if s["id"] in SYMPTOMS and s["negated"]]}


def triage_records_of(actor: Any, *, patient: Any, limit: int = 5) -> list[TriageRecord]:
    """A patient's recent triage answers, for the patient and for doctors with a care relation (the policy's
    patient_record rule); anyone else is refused (404, one audit row)."""
    policy.require(policy.patient_record(actor, patient.pk), actor=actor, object_type="triage_record",
                   object_id=patient.pk, subject=patient)
    return list(TriageRecord.objects.filter(patient=patient)[:limit])


def latest_triage_departments(*, patient: Any, after: Any = None) -> list[str]:
    """The department codes of the patient's own latest triage answer (best first), for their recommendations;
    none when it is older than `after` or was an emergency. The patient reads their own data: no refusal path."""
    record = TriageRecord.objects.filter(patient=patient).exclude(urgency="emergency").first()
    if record is None or (after is not None and record.created_at < after):
        return []
    return list(record.departments)
