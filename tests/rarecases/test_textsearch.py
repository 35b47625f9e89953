"""Rare-case search: jieba-segmented Chinese, English words, HPO/ICD/ORPHA codes (an HPO id also finds the
term's descendants), ranked on PostgreSQL by full-text rank over a GIN index, the simpler LIKE fallback on
SQLite giving the same sets."""
from __future__ import annotations

import pytest
from django.db import connection

from rarecases import textsearch
from rarecases.selectors import case_search
from rarecases.services.cases import rare_case_confirm

from .factories import encounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases():  # type: ignore[no-untyped-def]
    pku = rare_case_confirm(doctor=(e := encounter()).doctor, encounter=e,
                            phenotype_ids=["HP:0004923", "HP:0007359"], genes=["PAH"])
    mnd = rare_case_confirm(doctor=(e2 := encounter(codes=("G12.2",), findings="进行性肢体无力，肌束颤动。",
                                                    plan="Riluzole.")).doctor, encounter=e2,
                            phenotype_ids=["HP:0002380"])
    return pku, mnd


def test_chinese_words_codes_genes_and_hpo_ancestors(cases) -> None:  # type: ignore[no-untyped-def]
    pku, mnd = cases
    assert list(case_search(q="苯丙酮尿症")) == [pku]         # the ICD-10 Chinese name, jieba words
    assert list(case_search(q="苯丙酮")) == [pku]             # part of a word: bigrams
    assert list(case_search(q="肢体无力")) == [mnd]           # free Chinese text of the findings
    assert list(case_search(q="肌束颤动")) == [mnd]           # the Chinese HPO name (our reviewed table)
    assert list(case_search(q="癫痫")) == [pku]               # 局灶性癫痫发作 (Focal-onset seizure)
    assert list(case_search(q="HP:0007359")) == [pku]
    assert list(case_search(phenotype="HP:0001250")) == [pku]  # Seizure finds its descendant Focal-onset seizure
    assert list(case_search(q="ORPHA:716")) == [pku]
    assert list(case_search(category="ORPHA:98503")) == [mnd]
    assert list(case_search(q="E70.0")) == [pku]
    assert list(case_search(code="G12")) == [mnd]
    assert list(case_search(q="PAH")) == [pku]               # a candidate gene of the matching profile
    assert list(case_search(q="riluz")) == [mnd]              # English prefix
    assert list(case_search(q="riluzole 苯丙酮")) == []        # every word must match
    assert set(case_search(q="")) == {pku, mnd}


def test_tokens_and_query_are_safe_words() -> None:
    toks = textsearch.tokens_for({"title": "E70.0 Classical phenylketonuria", "codes": [
        {"code": "E70.0", "name_en": "Classical phenylketonuria", "name_zh": "经典型苯丙酮尿症"}], "category": "E70-E90",
        "orpha": [{"id": "ORPHA:716", "name": "Phenylketonuria"}], "phenotypes": [{"id": "HP:0004923", "name": "x"}]},
        hpo_closure=[4923, 1939], genes=["PAH"], disorders=["MIM:261600"]).split()
    assert {"icde700", "icde70", "blke70e90", "orpha716", "mim261600", "hp0004923", "hpa0004923", "hpa0001939",
            "genepah", "经典型苯丙酮尿症", "苯丙酮", "酮尿"} <= set(toks)
    q = textsearch.to_tsquery(textsearch.query_terms("苯丙酮 seizure's E70 HP:0001250 & | ! ( ) :*"))
    assert set(q) <= set("abcdefghijklmnopqrstuvwxyz0123456789():*&| ") | {c for c in q if "\u3400" <= c <= "\u9fff"}
    assert "hpa0001250" in q
    assert "icde70:*" in q


@pytest.mark.postgres
def test_postgres_ranks_and_uses_the_gin_index(cases) -> None:  # type: ignore[no-untyped-def]
    pku, mnd = cases
    both = rare_case_confirm(doctor=(e := encounter(codes=("G12.2",), findings="Fasciculations; riluzole; riluzole.",
                                                    plan="Riluzole, physiotherapy.")).doctor, encounter=e)
    ranked = list(case_search(q="riluzole"))
    assert ranked[0] == both  # more occurrences rank first
    assert set(ranked) == {mnd, both}
    from rarecases.models import Case
    from rarecases.selectors import fts_match

    qs = fts_match(Case.objects.all(), textsearch.query_terms("riluzole"))
    assert set(qs) == {mnd, both}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "rarecases_case_search_tokens_fts" in plan
