"""Writes of the knowledge app: loading the graph (idempotent), linking catalogue drugs, triage answers kept
on a patient's record."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Role
from knowledge import ontology, selectors
from knowledge.conditions import ConditionModel
from knowledge.lexicon import DEPARTMENTS
from knowledge.models import Edge, EdgeKind, Node, NodeKind, TriageRecord
from knowledge.tables import (
    ATC_INDICATIONS,
    COMMON_DISEASES,
    DISEASE_ZH,
    ICD10_DEPARTMENTS,
    ICD10_ZH,
    LEXICON_SYMP,
    SYMP_ZH,
)
from knowledge.triage import Answer, triage

LOADED_SOURCES = ("DO", "SYMP", "WHO-ICD10", "HPO", "project")
NodeKey = tuple[str, str]


@dataclass(frozen=True)
class CatalogueDrug:
    """What the knowledge graph needs of a catalogue drug (pharmacy hands these over; knowledge sits below it)."""
    id: int
    name_en: str
    name_zh: str
    atc_code: str


def _range_parent(first: str, last: str) -> tuple[str, str] | None:
    """The smallest range of the department table that strictly contains [first, last]."""
    outer = [(f, la) for f, la, *_ in ICD10_DEPARTMENTS if f <= first and last <= la and (f, la) != (first, last)]
    return min(outer, key=lambda r: ontology._span(*r)) if outer else None


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[NodeKey, tuple[str, str, list[str]]] = {}
        self.edges: dict[tuple[NodeKey, NodeKey, str], tuple[str, float]] = {}

    def node(self, kind: str, key: str, name_en: str, name_zh: str = "", synonyms: list[str] | None = None) -> NodeKey:
        if (kind, key) not in self.nodes:
            self.nodes[(kind, key)] = (name_en[:300], name_zh[:300], synonyms or [])
        return (kind, key)

    def edge(self, src: NodeKey, dst: NodeKey, kind: str, source: str, weight: float = 1.0) -> None:
        self.edges[(src, dst, kind)] = (source, weight)

    def icd10(self, code: str, label: str = "") -> NodeKey | None:
        """An ICD-10 code with its category and the department table's ranges above it (is_a chain)."""
        category = code[:3]
        block = ontology.icd10_block(category)
        if block is None:
            return None
        title = ontology.icd10_title(code) or label or code
        node = self.node(NodeKind.ICD10, code, title, ICD10_ZH.get(code, ""))
        if code != category:
            parent = self.node(NodeKind.ICD10, category, ontology.icd10_title(category) or category,
                               ICD10_ZH.get(category, ""))
            self.edge(node, parent, EdgeKind.IS_A, "WHO-ICD10")
            node = parent
        first, last, _ = block
        self.edge(node, (NodeKind.ICD10, f"{first}-{last}"), EdgeKind.IS_A, "project")
        return node


def _build() -> _Graph:
    g = _Graph()
    for code, (en, zh) in DEPARTMENTS.items():
        g.node(NodeKind.DEPARTMENT, code, en, zh)
    for first, last, dept, en, zh in ICD10_DEPARTMENTS:
        key = g.node(NodeKind.ICD10, f"{first}-{last}", en, zh)
        g.edge(key, (NodeKind.DEPARTMENT, dept), EdgeKind.SEEN_IN, "project")
        parent = _range_parent(first, last)
        if parent:
            g.edge(key, (NodeKind.ICD10, f"{parent[0]}-{parent[1]}"), EdgeKind.IS_A, "project")
    terms = ontology.symptom_terms()
    for term in terms.values():
        zh, lay = SYMP_ZH.get(term.name, ("", ()))
        g.node(NodeKind.SYMPTOM, term.id, term.name, zh, [*term.synonyms, *lay])
    for term in terms.values():
        for parent in term.is_a:
            if parent in terms:
                g.edge((NodeKind.SYMPTOM, term.id), (NodeKind.SYMPTOM, parent), EdgeKind.IS_A, "SYMP")
    hpo = ontology.hpo_names()
    for term in terms.values():
        match = next((hpo[n.lower()] for n in [term.name, *term.synonyms] if n.lower() in hpo), None)
        if match:
            g.edge((NodeKind.SYMPTOM, term.id), g.node(NodeKind.HPO, match[0], match[1]), EdgeKind.SAME_AS, "HPO")
    for doid, label, symp, _ in ontology.disease_symptoms():
        if symp in terms:
            disease = g.node(NodeKind.DISEASE, doid, label, DISEASE_ZH.get(doid, ""))
            g.edge(disease, (NodeKind.SYMPTOM, symp), EdgeKind.HAS_SYMPTOM, "DO")
    for doid, label, code in ontology.disease_icd10():
        icd = g.icd10(code, label)
        if icd is not None:
            disease = g.node(NodeKind.DISEASE, doid, label, DISEASE_ZH.get(doid, ""))
            g.edge(disease, (NodeKind.ICD10, code), EdgeKind.CODED_AS, "DO")
    for categories in ATC_INDICATIONS.values():
        for category in categories:
            g.icd10(category)
    return g


@transaction.atomic
def knowledge_load() -> dict[str, int]:
    """Load (or refresh) the graph from the vendored files and our tables; returns counts per node and edge kind.

    Idempotent: a second run writes the same rows (upserts on the natural keys) and removes edges of the loaded
    sources that the files no longer hold; catalogue drug edges (`catalogue_drugs_link`) are left alone."""
    g = _build()
    Node.objects.bulk_create(
        [Node(kind=k, key=key, name_en=en, name_zh=zh, synonyms=syn, search_text=_search_text(en, zh, syn))
         for (k, key), (en, zh, syn) in g.nodes.items()],
        batch_size=500, update_conflicts=True, unique_fields=["kind", "key"],
        update_fields=["name_en", "name_zh", "synonyms", "search_text"])
    ids = {(k, key): pk for pk, k, key in Node.objects.values_list("pk", "kind", "key")}
    wanted = {(ids[s], ids[d], kind): value for (s, d, kind), value in g.edges.items()}
    Edge.objects.bulk_create(
        [Edge(src_id=s, dst_id=d, kind=kind, source=src, weight=w) for (s, d, kind), (src, w) in wanted.items()],
        batch_size=500, update_conflicts=True, unique_fields=["src", "dst", "kind"], update_fields=["source", "weight"])
    stale = [pk for pk, s, d, kind in Edge.objects.filter(source__in=LOADED_SOURCES)
             .values_list("pk", "src_id", "dst_id", "kind") if (s, d, kind) not in wanted]
    Edge.objects.filter(pk__in=stale).delete()
    _CHECKED["at"] = -1e9
    return graph_counts()


def _search_text(*names: Any) -> str:
    flat = [n for name in names for n in ([name] if isinstance(name, str) else name) if n]
    return " | ".join(flat).lower()


def graph_counts() -> dict[str, int]:
    counts: Counter[str] = Counter()
    for kind in Node.objects.values_list("kind", flat=True):
        counts[f"nodes.{kind}"] += 1
    for kind in Edge.objects.values_list("kind", flat=True):
        counts[f"edges.{kind}"] += 1
    return dict(sorted(counts.items()))


def _indications(atc_code: str) -> tuple[str, ...]:
    prefixes = [p for p in ATC_INDICATIONS if atc_code.startswith(p)]
    return ATC_INDICATIONS[max(prefixes, key=len)] if prefixes else ()


@transaction.atomic
def catalogue_drugs_link(*, drugs: Iterable[CatalogueDrug]) -> int:
    """Catalogue drugs as drug nodes (`drug:<catalogue id>`) with TREATS edges to the ICD-10 categories of their
    ATC class (tables.ATC_INDICATIONS). Idempotent; returns the number of TREATS edges. Call after
    `knowledge_load` (the ICD-10 category nodes come from it)."""
    drugs = list(drugs)
    Node.objects.bulk_create(
        [Node(kind=NodeKind.DRUG, key=f"drug:{d.id}", name_en=d.name_en, name_zh=d.name_zh,
              search_text=_search_text(d.name_en, d.name_zh)) for d in drugs],
        update_conflicts=True, unique_fields=["kind", "key"], update_fields=["name_en", "name_zh", "search_text"])
    nodes = {n.key: n.pk for n in Node.objects.filter(kind__in=[NodeKind.DRUG, NodeKind.ICD10])}
    wanted = {(nodes[f"drug:{d.id}"], nodes[c]) for d in drugs for c in _indications(d.atc_code) if c in nodes}
    Edge.objects.filter(kind=EdgeKind.TREATS, src_id__in=[nodes[f"drug:{d.id}"] for d in drugs]).exclude(
        pk__in=[e.pk for e in Edge.objects.filter(kind=EdgeKind.TREATS) if (e.src_id, e.dst_id) in wanted]).delete()
    Edge.objects.bulk_create([Edge(src_id=s, dst_id=d, kind=EdgeKind.TREATS, source="catalogue") for s, d in wanted],
                             update_conflicts=True, unique_fields=["src", "dst", "kind"], update_fields=["source"])
    _CHECKED["at"] = -1e9
    return len(wanted)


_MODEL: dict[tuple[int, int], ConditionModel] = {}
_CHECKED: dict[str, Any] = {"at": -1e9, "version": (0, 0)}
VERSION_CHECK_SECONDS = 30.0


def condition_model() -> ConditionModel | None:
    """The condition model built from the tables, rebuilt when the graph changes (keyed on the edge count and the
    highest edge id, looked up at most every VERSION_CHECK_SECONDS per process: the count costs ~2 ms on SQLite,
    as much as the ranking); None before the graph is loaded."""
    now = time.monotonic()
    if now - _CHECKED["at"] > VERSION_CHECK_SECONDS or _CHECKED["version"][0] == 0:
        _CHECKED.update(at=now, version=selectors.graph_version())
    version = _CHECKED["version"]
    if version[0] == 0:
        return None
    if version not in _MODEL:
        symptoms, names, codes = selectors.disease_symptom_map()
        by_name = selectors.symptom_ids_by_name()
        lexicon = {sid: frozenset(by_name[n] for n in terms if n in by_name) for sid, terms in LEXICON_SYMP.items()}
        _MODEL.clear()
        _MODEL[version] = ConditionModel(
            disease_symptoms={d: frozenset(s) for d, s in symptoms.items()}, names=names, codes=codes,
            parents={k: frozenset(v) for k, v in selectors.symptom_parents().items()},
            lexicon={k: v for k, v in lexicon.items() if v}, vocabulary=len(by_name),
            common=frozenset(COMMON_DISEASES))
    return _MODEL[version]


def triage_for(user: Any, *, text: str, age: float, sex: str, language: str) -> Answer:
    """Triage a text. A logged-in user's answer is audited (urgency and departments, not the text); a patient's
    answer is also kept on their record (`TriageRecord`), where their doctors see it."""
    answer = triage(text, age=age, sex=sex, language=language, model=condition_model())
    if getattr(user, "is_authenticated", False):
        detail = {"urgency": answer.urgency, "red_flags": [f["code"] for f in answer.red_flags],
                  "departments": [d["code"] for d in answer.departments[:3]]}
        if user.role == Role.PATIENT:
            record = triage_record_create(patient=user, answer=answer)
            detail["record"] = record.pk
        audit_record(actor=user, action="knowledge.triage", object_type="triage", subject=user, detail=detail)
    return answer


@transaction.atomic
def triage_record_create(*, patient: Any, answer: Answer) -> TriageRecord:
    return TriageRecord.objects.create(
        patient=patient, urgency=answer.urgency, red_flags=[f["code"] for f in answer.red_flags],
        departments=[d["code"] for d in answer.departments], conditions=[c["doid"] for c in answer.conditions],
        symptoms=[{"id": s["id"], "negated": s["negated"]} for s in answer.symptoms])
