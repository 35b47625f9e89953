"""Candidate conditions from the graph: a naive-Bayes-style score over the Disease Ontology's disease–symptom
edges. Pure code (no ORM): `knowledge.services` builds the model from the tables and hands it in.

For each disease d with symptom list S_d (from DO) and the patient's symptoms P (the lexicon's symptoms mapped
to Symptom Ontology terms):

    log score(d) = log prior(d) + Σ_{y in P} log ((m(d, y) + α) / (|S_d| + α·V))

multinomial naive Bayes with Laplace smoothing (α = 1, V = number of symptom terms): m = 1 when d lists y,
0.5 when d lists y's direct is_a parent (the patient's "high fever" counts half for a disease listing "fever"),
else 0. The smoothing divides by |S_d|, so a disease with few, matching symptoms beats one that lists every
symptom. DO carries no prevalence, so the prior is ours: COMMON_PRIOR (20) for the common conditions of
primary care listed in tables.COMMON_DISEASES, 1 for every other disease, times 0.01 where age and sex rule
a disease out:
pregnancy and female genital codes (O, N70–N98) for men, male genital codes (N40–N51) for women, perinatal
codes (P) after the first year — those get prior 0.01 (not 0: the codes are only cross-references).
Only diseases with at least one matching symptom are candidates; their scores are normalised to sum to 1
over the candidates (a posterior under the model's assumptions — a ranking, not a probability of disease)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

ALPHA = 1.0
PARENT_MATCH = 0.5
RULED_OUT_PRIOR = 0.01
COMMON_PRIOR = 20.0


@dataclass(frozen=True, eq=False)
class ConditionModel:
    disease_symptoms: dict[str, frozenset[str]]  # DOID → SYMP ids
    names: dict[str, tuple[str, str]]  # DOID → (English, Chinese)
    codes: dict[str, str]  # DOID → an ICD-10 code
    parents: dict[str, frozenset[str]]  # SYMP id → direct is_a parents
    lexicon: dict[str, frozenset[str]]  # lexicon symptom id → SYMP ids
    vocabulary: int
    common: frozenset[str] = frozenset()  # DOIDs with the higher prior

    @cached_property
    def by_symptom(self) -> dict[str, frozenset[str]]:
        """SYMP id → the diseases that list it (the candidates of a request, without a scan of every disease)."""
        index: dict[str, set[str]] = {}
        for doid, listed in self.disease_symptoms.items():
            for symp in listed:
                index.setdefault(symp, set()).add(doid)
        return {symp: frozenset(doids) for symp, doids in index.items()}


def _prior(code: str, *, age: float, sex: str) -> float:
    if not code:
        return 1.0
    category = code[:3]
    if sex == "male" and (category[0] == "O" or "N70" <= category <= "N98"):
        return RULED_OUT_PRIOR
    if sex == "female" and "N40" <= category <= "N51":
        return RULED_OUT_PRIOR
    if category[0] == "P" and age >= 1:
        return RULED_OUT_PRIOR
    return 1.0


def rank(model: ConditionModel, present: set[str], *, age: float, sex: str, names: dict[str, str],
         zh: bool, limit: int = 5) -> list[dict[str, Any]]:
    """The top candidates as `{"doid", "icd10", "name", "score", "evidence"}`; `names` gives the lexicon
    symptoms' display names (evidence lists the patient's symptoms that matched)."""
    patient = {sid: model.lexicon[sid] for sid in sorted(present) if sid in model.lexicon}
    if not patient:
        return []
    lift = {sid: frozenset(p for y in ys for p in model.parents.get(y, ())) for sid, ys in patient.items()}
    wanted = {y for ys in patient.values() for y in ys} | {p for ps in lift.values() for p in ps}
    log_match = {1.0: math.log(1.0 + ALPHA), PARENT_MATCH: math.log(PARENT_MATCH + ALPHA), 0.0: math.log(ALPHA)}
    scored: list[tuple[float, str, list[str]]] = []
    candidates = {doid for symp in wanted for doid in model.by_symptom.get(symp, ())}
    for doid in sorted(candidates):
        listed = model.disease_symptoms[doid]
        log_score = math.log(_prior(model.codes.get(doid, ""), age=age, sex=sex)
                             * (COMMON_PRIOR if doid in model.common else 1.0))
        log_score -= len(patient) * math.log(len(listed) + ALPHA * model.vocabulary)
        evidence = []
        for sid, ys in patient.items():
            match = 1.0 if not ys.isdisjoint(listed) else PARENT_MATCH if not lift[sid].isdisjoint(listed) else 0.0
            if match:
                evidence.append(names[sid])
            log_score += log_match[match]
        scored.append((log_score, doid, evidence))
    if not scored:
        return []
    top = max(s for s, _, _ in scored)
    total = sum(math.exp(s - top) for s, _, _ in scored)
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [{"doid": doid, "icd10": model.codes.get(doid, ""),
             "name": (model.names[doid][1] or model.names[doid][0]) if zh else model.names[doid][0],
             "score": round(math.exp(s - top) / total, 3), "evidence": evidence}
            for s, doid, evidence in scored[:limit]]
