"""How similar is a stored patient to a query patient? The reference implementation (plain Python sets);
`index.py` computes the same numbers for many profiles at once.

Score = Σ wₖ·sₖ / Σ wₖ over the components that apply to the pair, each sₖ ∈ [0, 1], so the score is in
[0, 1] (MME: "0.0 is a poor match and 1.0 is a perfect match"):

- genotype (w = 0.50), when both sides list genes: per query gene, 1.0 if the candidate has it with the same
  variant (assembly, chromosome, start, ref, alt), 0.75 if it has the gene only; averaged over the query's
  genes. A candidate that lists no gene is not penalised (the component does not apply): unknown is not
  "different".
- phenotype (w = 0.35), when the query has informative features: on the ancestor closures Q (query) and M
  (candidate's observed features) with hpo3's information content IC,
      simGIC = IC(Q∩M) / IC(Q∪M)                    (symmetric, bounded; Pesquita et al. 2008)
      cover  = IC(Q∩M) / IC(Q)                      (how much of the query the candidate explains)
      coverD = IC(Q∩(M∪D)) / IC(Q)                  (D: the annotated phenotype of the candidate's disorders)
      raw    = 0.5·simGIC + 0.25·cover + 0.25·coverD
  and "observed: no" counts against: a query feature marked absent that the candidate has (the term or a
  descendant), or a candidate feature marked absent that the query has, adds its IC twice to the union
  (it is both unexplained and contradicted): phenotype = raw · U / (U + 2·IC(conflicts)), U = IC(Q∪M).
- disorders (w = 0.15), when the query names disorders: the share of them (OMIM/Orphanet ids) the
  candidate carries.

Why genes weigh most: a shared candidate gene is the evidence matchmakers act on (GeneMatcher matches on
the gene alone); phenotype overlap between unrelated patients is common for broad terms (developmental
delay, seizures), so phenotype alone must not outrank a shared gene. Phenotype still decides among
patients with the same gene and for queries without genes. Disorders weigh least because an OMIM/Orphanet
label on a candidate without its phenotype is thin evidence, and it already enters the phenotype through D.
Why the cover terms: a doctor often enters a few terms (the 30 % benchmark); simGIC alone penalises a
candidate for every feature the query did not mention, cover does not; D lets a stored patient's diagnosis
explain query features its own list lacks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ontology as onto

W_GENOTYPE = 0.50
W_PHENOTYPE = 0.35
W_DISORDERS = 0.15
GENE_ONLY = 0.75
CONFLICT_WEIGHT = 2.0


@dataclass(frozen=True)
class Profile:
    """What matching knows of one patient (the query or a stored case)."""

    key: Any = None
    observed: frozenset[int] = frozenset()
    negated: frozenset[int] = frozenset()
    disorders: frozenset[str] = frozenset()
    genes: frozenset[str] = frozenset()
    variants: frozenset[tuple] = frozenset()   # (gene key, variant key)
    is_test: bool = False
    closure: frozenset[int] = field(default=frozenset(), compare=False)
    disorder_closure: frozenset[int] = field(default=frozenset(), compare=False)

    @classmethod
    def build(cls, *, key: Any = None, observed: set[int] | frozenset[int] = frozenset(),
              negated: set[int] | frozenset[int] = frozenset(), disorders: set[str] | frozenset[str] = frozenset(),
              genes: set[str] | frozenset[str] = frozenset(), variants: set[tuple] | frozenset[tuple] = frozenset(),
              is_test: bool = False, closure: frozenset[int] | None = None,
              disorder_closure: frozenset[int] | None = None) -> Profile:
        observed = frozenset(t for t in observed if onto.exists(t))
        disorders = frozenset(disorders)
        variants = frozenset(variants)
        genes = frozenset(genes) | {g for g, _v in variants}  # a variant names its gene
        return cls(key=key, observed=observed, negated=frozenset(t for t in negated if onto.exists(t)),
                   disorders=disorders, genes=genes, variants=variants, is_test=is_test,
                   closure=onto.closure(observed) if closure is None else closure,
                   disorder_closure=onto.disorder_closure(disorders) if disorder_closure is None else disorder_closure)


@dataclass(frozen=True)
class Score:
    total: float
    phenotype: float | None
    genotype: float | None
    disorders: float | None


def phenotype_score(query: Profile, cand: Profile) -> float | None:
    q = query.closure
    ic_q = onto.ic_sum(q)
    if ic_q <= 0:
        return None
    m = cand.closure
    inter = onto.ic_sum(q & m)
    union = onto.ic_sum(q | m)
    inter_d = onto.ic_sum(q & (m | cand.disorder_closure))
    raw = 0.5 * (inter / union) + 0.25 * (inter / ic_q) + 0.25 * (inter_d / ic_q)
    conflict = sum(onto.ic(n) for n in query.negated if n in m) + sum(onto.ic(n) for n in cand.negated if n in q)
    return raw * union / (union + CONFLICT_WEIGHT * conflict)


def genotype_score(query: Profile, cand: Profile) -> float | None:
    if not query.genes or not cand.genes:
        return None
    total = 0.0
    for gene in query.genes:
        if gene in cand.genes:
            same_variant = any(g == gene and (g, v) in cand.variants for g, v in query.variants)
            total += 1.0 if same_variant else GENE_ONLY
    return total / len(query.genes)


def disorder_score(query: Profile, cand: Profile) -> float | None:
    if not query.disorders:
        return None
    return len(query.disorders & cand.disorders) / len(query.disorders)


def combine(phenotype: float | None, genotype: float | None, disorders: float | None) -> float:
    parts = [(W_GENOTYPE, genotype), (W_PHENOTYPE, phenotype), (W_DISORDERS, disorders)]
    weight = sum(w for w, s in parts if s is not None)
    if weight == 0:
        return 0.0
    return max(0.0, min(1.0, sum(w * s for w, s in parts if s is not None) / weight))


def score(query: Profile, cand: Profile) -> Score:
    p, g, d = phenotype_score(query, cand), genotype_score(query, cand), disorder_score(query, cand)
    return Score(total=combine(p, g, d), phenotype=p, genotype=g, disorders=d)


def explain(query: Profile, cand: Profile, limit: int = 8) -> dict[str, Any]:
    """Why the candidate matched: each query feature with the most informative term it shares with the
    candidate (the feature itself = "same", else the common ancestor), the features explained only by the
    candidate's disorders, contradictions, shared genes/variants and disorders."""
    features = []
    for t in sorted(query.observed):
        common = onto.ancestors(t) & cand.closure
        if common:
            best = max(common, key=lambda a: (onto.ic(a), -a))
            features.append({"query": onto.term_dict(t), "shared": onto.term_dict(best), "same": best == t,
                             "ic": round(onto.ic(best), 2)})
    features.sort(key=lambda f: (-f["ic"], f["query"]["id"]))
    by_disorder = [onto.term_dict(t) for t in sorted(query.observed)
                   if not (onto.ancestors(t) & cand.closure) and t in cand.disorder_closure]
    conflicts = ([onto.term_dict(n) for n in sorted(query.negated) if n in cand.closure]
                 + [onto.term_dict(n) for n in sorted(cand.negated) if n in query.closure])
    genes = sorted(query.genes & cand.genes)
    variants = sorted({g for g, v in query.variants if (g, v) in cand.variants})
    return {"features": features[:limit], "more_features": max(0, len(features) - limit),
            "by_disorder": by_disorder[:limit], "conflicts": conflicts, "genes": genes, "variants": variants,
            "disorders": sorted(query.disorders & cand.disorders)}
