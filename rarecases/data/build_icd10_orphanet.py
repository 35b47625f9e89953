"""Build `icd10_orphanet.tsv` (ICD-10 code → Orphanet classes) from open cross-references. Run by hand when the
sources are refreshed; the platform only reads the TSV (no network, no source files at run time).

Sources (all CC0 1.0), extracted unchanged into one folder with `git show HEAD:<path> > <file>`:

  monarch-initiative/mondo  src/ontology/mappings/mondo_exactmatch_icd10who.sssom.tsv   → exactmatch_icd10who.tsv
                            src/ontology/mappings/mondo_hasdbxref_icd10who.sssom.tsv    → hasdbxref_icd10who.tsv
                            src/ontology/mappings/mondo_exactmatch_icd10cm.sssom.tsv    → exactmatch_icd10cm.tsv
                            src/ontology/mappings/mondo_hasdbxref_icd10cm.sssom.tsv     → hasdbxref_icd10cm.tsv
                            src/ontology/mappings/mondo_exactmatch_orphanet.sssom.tsv   → exactmatch_orphanet.tsv
                            src/ontology/mappings/mondo_exactmatch_doid.sssom.tsv       → exactmatch_doid.tsv
  DiseaseOntology/HumanDiseaseOntology  DOreports/ICD10inDO.tsv, DOreports/OrphanetinDO.tsv (same names)

    python rarecases/data/build_icd10_orphanet.py SOURCE_DIR > rarecases/data/icd10_orphanet.tsv

How a row arises: an ICD-10 code (WHO, or ICD-10-CM truncated to its WHO parent: E75.21 → E75.2, E83.01 →
E83.0) is cross-referenced by a Mondo or DO disease concept, and that concept is cross-referenced to an
Orphanet entity (Mondo skos:exactMatch, DO xref, or DO → Mondo exactMatch → Orphanet). `match` is `exact`
when Mondo declares the concept an exact match of the WHO code itself, else `related` (the concept sits
under the code, e.g. one Gaucher type under E75.2). `reviewed.tsv` adds rows checked by hand where the open
cross-references have a gap (each with its reason); it is part of the output, marked `reviewed`.
"""
from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHO = re.compile(r"^[A-Z]\d\d(\.\d)?$")


def _sssom(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))


def _do(path: Path) -> list[tuple[str, str, list[str]]]:
    with path.open(encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return [(r["id"].strip('"'), r["label"].strip('"'), [x.strip().strip('"') for x in r["xrefs"].strip('"').split(",")])
                for r in rows]


def who_code(raw: str) -> str | None:
    """ICD-10 WHO form of an ICD-10(-CM) code: at most one digit after the dot; ranges are skipped."""
    code = raw.split(":", 1)[-1].strip().upper()
    if "-" in code:
        return None
    if "." in code:
        head, tail = code.split(".", 1)
        code = f"{head}.{tail[:1]}" if tail else head
    return code if WHO.match(code) else None


def build(src: Path) -> list[tuple[str, str, str, str, str]]:
    mondo_orpha: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for r in _sssom(src / "exactmatch_orphanet.tsv"):
        oid = r["object_id"].split(":", 1)[1]
        mondo_orpha[r["subject_id"]].add(oid)
        labels[oid] = r["object_label"]
    doid_mondo: dict[str, set[str]] = defaultdict(set)
    for r in _sssom(src / "exactmatch_doid.tsv"):
        doid_mondo[r["object_id"]].add(r["subject_id"])
    doid_orpha: dict[str, set[str]] = defaultdict(set)
    for doid, _label, xrefs in _do(src / "OrphanetinDO.tsv"):
        doid_orpha[doid] |= {x.split(":", 1)[1] for x in xrefs if x.startswith("ORDO:")}

    rows: dict[tuple[str, str], tuple[str, str]] = {}

    def add(code: str, orpha: str, via: str, match: str) -> None:
        key = (code, orpha)
        if key not in rows or (match == "exact" and rows[key][1] != "exact"):
            rows[key] = (via, match)

    for name in ("exactmatch_icd10who", "hasdbxref_icd10who", "exactmatch_icd10cm", "hasdbxref_icd10cm"):
        for r in _sssom(src / f"{name}.tsv"):
            code = who_code(r["object_id"])
            if code is None:
                continue
            exact = name == "exactmatch_icd10who" or (name == "exactmatch_icd10cm" and r["object_id"].split(":")[1] == code)
            for oid in mondo_orpha.get(r["subject_id"], ()):
                add(code, oid, r["subject_id"], "exact" if exact else "related")
    for doid, _label, xrefs in _do(src / "ICD10inDO.tsv"):
        for x in xrefs:
            code = who_code(x) if x.startswith("ICD10CM:") else None
            if code is None:
                continue
            orphas = set(doid_orpha.get(doid, set()))
            for mondo in doid_mondo.get(doid, ()):
                orphas |= mondo_orpha.get(mondo, set())
            for oid in orphas:
                add(code, oid, doid, "related")
    reviewed = HERE / "icd10_orphanet_reviewed.tsv"
    with reviewed.open(encoding="utf-8") as fh:
        for r in csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"):
            rows[(r["icd10"], r["orpha"])] = ("reviewed", r["match"])
            labels.setdefault(r["orpha"], r["name"])
    return sorted((code, oid, labels.get(oid, ""), via, match) for (code, oid), (via, match) in rows.items())


def main() -> int:
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["icd10", "orpha", "name", "via", "match"])
    for row in build(Path(sys.argv[1])):
        out.writerow(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
