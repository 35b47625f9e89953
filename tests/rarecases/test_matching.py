"""Matching on hand-picked HPO terms (pure code, no database): ancestors make Seizure match Focal-onset
seizure, `observed: no` counts against, a shared gene outranks phenotype, disorders add evidence, scores stay in
[0, 1], the sparse index gives the reference scorer's numbers, and the explanation names what was shared."""
from __future__ import annotations

import random

import pytest

from rarecases.matching import genes, ontology
from rarecases.matching.index import MatchIndex
from rarecases.matching.scoring import Profile, explain, phenotype_score, score

SEIZURE, FOCAL, CLONIC = 1250, 7359, 2266          # Seizure ⊃ Focal-onset seizure ⊃ Focal clonic seizure
ATAXIA, KF_RING, CERULO, ID = 1251, 200032, 10837, 1249
CLEFT, MICROTIA = 175, 8551


def P(key: str = "c", **kw) -> Profile:  # type: ignore[no-untyped-def]
    return Profile.build(key=key, **kw)


def test_ancestors_make_a_general_term_match_a_specific_one() -> None:
    assert SEIZURE in ontology.ancestors(CLONIC)
    query = P(observed={SEIZURE})
    assert phenotype_score(query, P(observed={CLONIC})) > 0.3
    assert phenotype_score(query, P(observed={CLEFT})) == 0.0
    # The closer the candidate's term, the higher the score.
    assert phenotype_score(P(observed={FOCAL}), P(observed={CLONIC})) > phenotype_score(P(observed={FOCAL}),
                                                                                       P(observed={SEIZURE, CLEFT}))


def test_observed_no_counts_against() -> None:
    cand = P(observed={KF_RING, CERULO, SEIZURE})
    plain = phenotype_score(P(observed={KF_RING, CERULO}), cand)
    denied = phenotype_score(P(observed={KF_RING, CERULO}, negated={SEIZURE}), cand)
    assert denied < plain
    # A stored patient's absent feature that the query has counts too, and a general negation (no seizure)
    # contradicts a specific finding (focal clonic seizure).
    assert phenotype_score(P(observed={KF_RING, SEIZURE}), P(observed={KF_RING, CERULO}, negated={SEIZURE})) \
        < phenotype_score(P(observed={KF_RING, SEIZURE}), P(observed={KF_RING, CERULO}))
    assert phenotype_score(P(observed={KF_RING}, negated={SEIZURE}), P(observed={KF_RING, CLONIC})) \
        < phenotype_score(P(observed={KF_RING}), P(observed={KF_RING, CLONIC}))
    # Absent in both is not a contradiction.
    assert phenotype_score(P(observed={KF_RING}, negated={SEIZURE}), P(observed={KF_RING}, negated={SEIZURE})) == \
        pytest.approx(phenotype_score(P(observed={KF_RING}), P(observed={KF_RING})))


def test_a_shared_gene_outranks_a_closer_phenotype_and_a_variant_beats_the_gene() -> None:
    v = ("GRCH37", "13", 52518371, "C", "T")
    query = P(observed={KF_RING, CERULO, ATAXIA}, genes={"ATP7B"}, variants={("ATP7B", v)})
    same_gene = P("gene", observed={KF_RING}, genes={"ATP7B"})
    same_variant = P("variant", observed={KF_RING}, genes={"ATP7B"}, variants={("ATP7B", v)})
    other_gene = P("pheno", observed={KF_RING, CERULO, ATAXIA}, genes={"PAH"})
    ranked = sorted([same_gene, same_variant, other_gene], key=lambda c: -score(query, c).total)
    assert [c.key for c in ranked] == ["variant", "gene", "pheno"]
    assert score(query, same_variant).genotype == 1.0
    assert score(query, same_gene).genotype == 0.75
    assert score(query, other_gene).genotype == 0.0


def test_a_candidate_without_genes_is_not_penalised_as_a_different_gene() -> None:
    query = P(observed={KF_RING, CERULO}, genes={"ATP7B"})
    unknown = score(query, P(observed={KF_RING, CERULO}))
    different = score(query, P(observed={KF_RING, CERULO}, genes={"PAH"}))
    assert unknown.genotype is None
    assert unknown.total == pytest.approx(unknown.phenotype)
    assert different.total < unknown.total


def test_disorders_add_evidence_as_ids_and_through_their_phenotype() -> None:
    wilson = "ORPHA:905"
    assert ontology.disorder(wilson) is not None
    query = P(observed={KF_RING, CERULO}, disorders={wilson})
    with_dx = score(query, P(observed={KF_RING}, disorders={wilson}))
    without = score(query, P(observed={KF_RING}))
    assert with_dx.disorders == 1.0
    assert without.disorders == 0.0
    assert with_dx.total > without.total
    # The candidate's diagnosis explains a query feature its own list lacks (coverD).
    assert phenotype_score(P(observed={CERULO}), P(observed={ID}, disorders={wilson})) > \
        phenotype_score(P(observed={CERULO}), P(observed={ID}))


def test_scores_are_bounded_and_the_index_equals_the_reference_scorer() -> None:
    rng = random.Random(5)
    terms = [int(t) for t in ontology.ontology() if not ontology.name(int(t)).startswith("obsolete")]
    diseases = [f"ORPHA:{k}" for k in sorted(ontology.orpha_diseases())[:200]]
    v = ("GRCH38", "1", 100, "A", "G")

    def rand(key: object) -> Profile:
        gs = set(rng.sample(["ATP7B", "PAH", "FBN1", "NGLY1"], rng.randint(0, 2)))
        return P(key, observed=set(rng.sample(terms, rng.randint(0, 8))),
                 negated=set(rng.sample(terms, rng.randint(0, 2))), disorders=set(rng.sample(diseases, rng.randint(0, 2))),
                 genes=gs, variants={(g, v) for g in gs if rng.random() < 0.5}, is_test=rng.random() < 0.2)

    stored = [rand(i) for i in range(150)]
    index = MatchIndex(stored)
    for _ in range(15):
        query = rand("q")
        totals, *_ = index.scores(query)
        for i, cand in enumerate(stored):
            s = score(query, cand)
            assert 0.0 <= s.total <= 1.0
            assert totals[i] == pytest.approx(s.total, abs=1e-9)
        hits = index.search(query, limit=5, threshold=0.0, include_test=False)
        assert [h.total for h in hits] == sorted((h.total for h in hits), reverse=True)
        assert not any(stored[h.key].is_test for h in hits)
        best = max((score(query, c).total for c in stored if not c.is_test), default=0)
        assert hits[0].total == pytest.approx(best)


def test_search_threshold_limit_and_exclusion() -> None:
    stored = [P(1, observed={KF_RING, CERULO}), P(2, observed={KF_RING}), P(3, observed={CLEFT, MICROTIA})]
    index = MatchIndex(stored)
    query = P(observed={KF_RING, CERULO})
    assert [h.key for h in index.search(query, limit=5, threshold=0.0, include_test=False)] == [1, 2, 3]
    assert [h.key for h in index.search(query, limit=5, threshold=0.5, include_test=False)] == [1, 2]
    assert [h.key for h in index.search(query, limit=1, threshold=0.0, include_test=False)] == [1]
    assert [h.key for h in index.search(query, limit=5, threshold=0.01, include_test=False, exclude={1})] == [2]
    assert MatchIndex([]).search(query, limit=5, threshold=0, include_test=True) == []


def test_explain_names_the_shared_terms_genes_and_contradictions() -> None:
    query = P(observed={FOCAL, KF_RING}, negated={ATAXIA}, genes={"ATP7B"})
    cand = P(observed={CLONIC, KF_RING, ATAXIA}, genes={"ATP7B"})
    why = explain(query, cand)
    shared = {f["query"]["id"]: (f["shared"]["id"], f["same"]) for f in why["features"]}
    assert shared["HP:0200032"] == ("HP:0200032", True)
    assert shared["HP:0007359"] == ("HP:0007359", True)  # the candidate's focal clonic seizure is a focal seizure
    assert why["genes"] == ["ATP7B"]
    assert [t["id"] for t in why["conflicts"]] == ["HP:0001251"]
    assert why["features"][0]["query"]["name_zh"] == "角膜K-F环"  # the more specific shared term first


@pytest.mark.parametrize(("raw", "key"), [("NGLY1", "NGLY1"), ("ngly1", "NGLY1"), ("55768", "NGLY1"),
                                          ("ENSG00000151092", "ENSG00000151092"), ("ENSG00000151092.4", "ENSG00000151092"),
                                          ("", None), ("not a gene!", None)])
def test_gene_identifiers(raw, key) -> None:  # type: ignore[no-untyped-def]
    assert genes.gene_key(raw) == key


def test_variant_keys_ignore_patches_and_chr_prefix() -> None:
    a = genes.variant_key({"variant": {"assembly": "GRCh37.p13", "referenceName": "chr17", "start": 5,
                                       "referenceBases": "g", "alternateBases": "a"}})
    assert a == genes.variant_key({"variant": {"assembly": "GRCh37", "referenceName": "17", "start": 5,
                                               "referenceBases": "G", "alternateBases": "A"}})
    assert genes.variant_key({"gene": {"id": "X"}}) is None
