"""The reviewed Chinese HPO names and the ICD-10 → Orphanet cross-references vendored in rarecases/data."""
from __future__ import annotations

import csv
import re

import pytest

from rarecases import vocab
from rarecases.matching import ontology

CJK = re.compile(r"[\u3400-\u9fff]")


def _rows() -> list[dict[str, str]]:
    with (ontology.DATA / "hpo_zh.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))


def test_every_chinese_name_belongs_to_a_current_term_under_its_reviewed_english_name() -> None:
    rows = _rows()
    assert len(rows) >= 400
    for row in rows:
        term = ontology.term_int(row["id"])
        assert term is not None, row
        assert ontology.name(term) == row["name_en"], f"{row['id']} was renamed in the bundled HPO: review it"
        assert CJK.search(row["name_zh"]), row
    names = [r["name_zh"] for r in rows]
    assert len(names) == len(set(names)), "two terms share a Chinese name"
    assert len({r["id"] for r in rows}) == len(rows)


def test_the_demo_terms_have_chinese_names() -> None:
    from rarecases.demo import PHENOTYPES

    for terms, _genes in PHENOTYPES.values():
        for t in terms:
            assert ontology.name_zh(ontology.term_int(t)), t


@pytest.mark.parametrize(("query", "first"), [("癫痫", "HP:0001250"), ("肌 无力", "HP:0001324"),
                                              ("seizure", "HP:0001250"), ("hp:0200032", "HP:0200032")])
def test_picker_search_in_both_languages(query, first) -> None:  # type: ignore[no-untyped-def]
    assert vocab.hpo_search(query)[0]["id"] == first


def test_picker_search_leaves_out_obsolete_terms_and_short_queries() -> None:
    assert all(not t["name"].startswith("obsolete") for t in vocab.hpo_search("eczematoid dermatitis"))
    assert vocab.hpo_search("ab") == []
    assert vocab.hpo_search("HP:9999999") == []


def test_icd10_to_orphanet_through_cross_references_not_names() -> None:
    # D66 "Hereditary factor VIII deficiency" ≠ "Hemophilia A" by name: found through Mondo's exact match.
    assert vocab.orpha_classes("D66") == [{"id": "ORPHA:98878", "name": "Hemophilia A"}]
    # E83.0 "Disorders of copper metabolism" ← ICD-10-CM E83.01 Wilson's disease (Mondo) → ORPHA:905.
    assert {"id": "ORPHA:905", "name": "Wilson disease"} in vocab.orpha_classes("E83.0")
    # A 4-character code without rows falls back to its 3-character category.
    assert vocab.orpha_classes("E84.9") == vocab.orpha_classes("E84")
    assert vocab.orpha_classes("J06.9") == []


def test_only_specific_classes_count_as_evidence() -> None:
    assert len(vocab.orpha_classes("E75.2")) == vocab.MAX_CLASSES  # sphingolipidoses: many diseases
    assert vocab.orpha_evidence("E75.2") == []                      # none is evidence on its own
    assert [o["id"] for o in vocab.orpha_evidence("E70.0")] == ["ORPHA:716", "ORPHA:79254"]
