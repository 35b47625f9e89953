"""Gene and variant identities for matching. MME allows a gene as an Ensembl id, an Entrez (NCBI) id or an
HGNC symbol. Entrez ids are turned into symbols with hpo3's gene table (the ~5,000 genes with HPO
annotations, which covers the disease genes matchmakers exchange); symbols are compared upper-case; Ensembl
ids are compared as Ensembl ids (no offline Ensembl ↔ symbol table is bundled: a known limit).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

ENSEMBL = re.compile(r"^ENSG\d{11}(\.\d+)?$", re.IGNORECASE)
SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.@/]{0,39}$")


@lru_cache(maxsize=1)
def _entrez_to_symbol() -> dict[int, str]:
    from .ontology import ontology

    return {int(g.id): g.name.upper() for g in ontology().genes}


@lru_cache(maxsize=1)
def _symbols() -> frozenset[str]:
    return frozenset(_entrez_to_symbol().values())


def gene_key(raw: str) -> str | None:
    """The comparable identity of a gene id, or None when it is not a gene id at all."""
    value = (raw or "").strip()
    if not value:
        return None
    if ENSEMBL.match(value):
        return value.split(".")[0].upper()
    if value.isdigit():
        return _entrez_to_symbol().get(int(value), f"ENTREZ:{int(value)}")
    if SYMBOL.match(value):
        return value.upper()
    return None


def is_known_symbol(key: str) -> bool:
    return key in _symbols()


def variant_key(feature: dict[str, Any]) -> tuple | None:
    """(assembly, chromosome, start, ref, alt) of a genomic feature's variant, or None without one. Patches of
    an assembly are the same coordinates (GRCh37.p13 ≡ GRCh37)."""
    v = feature.get("variant") or {}
    if not v or "start" not in v or "referenceName" not in v:
        return None
    assembly = str(v.get("assembly", "")).split(".")[0].upper()
    chrom = str(v["referenceName"]).upper().removeprefix("CHR")
    return (assembly, chrom, int(v["start"]), str(v.get("referenceBases", "")).upper(),
            str(v.get("alternateBases", "")).upper())
