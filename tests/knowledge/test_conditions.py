"""Candidate conditions: the naive-Bayes-style score on hand-computed inputs, and through the loaded graph."""
from __future__ import annotations

import math

import pytest

from knowledge import services
from knowledge.conditions import ConditionModel, rank

MODEL = ConditionModel(
    disease_symptoms={"DOID:1": frozenset({"S:fever", "S:cough"}),
                      "DOID:2": frozenset({"S:fever", "S:cough", "S:rash", "S:pain"}),
                      "DOID:3": frozenset({"S:rash"}),
                      "DOID:4": frozenset({"S:fever"})},
    names={"DOID:1": ("flu-like", "流感样"), "DOID:2": ("broad", ""), "DOID:3": ("rashy", "皮疹病"),
           "DOID:4": ("pregnancy fever", "")},
    codes={"DOID:1": "J11", "DOID:2": "B34.9", "DOID:3": "L30", "DOID:4": "O75.2"},
    parents={"S:high_fever": frozenset({"S:fever"})},
    lexicon={"fever": frozenset({"S:fever"}), "cough": frozenset({"S:cough"}), "hot": frozenset({"S:high_fever"})},
    vocabulary=10)
NAMES = {"fever": "fever", "cough": "cough", "hot": "high fever"}


def test_the_score_is_the_normalised_multinomial_likelihood() -> None:
    found = rank(MODEL, {"fever", "cough"}, age=30, sex="male", names=NAMES, zh=False)
    # by hand: DOID:1 (2/12)^2, DOID:2 (2/14)^2, DOID:4 prior 0.01 · (2/11)(1/11); DOID:3 lists neither
    raw = {"DOID:1": (2 / 12) ** 2, "DOID:2": (2 / 14) ** 2, "DOID:4": 0.01 * (2 / 11) * (1 / 11)}
    total = sum(raw.values())
    assert [c["doid"] for c in found] == ["DOID:1", "DOID:2", "DOID:4"]
    for c in found:
        assert math.isclose(c["score"], round(raw[c["doid"]] / total, 3))
    assert found[0] == {"doid": "DOID:1", "icd10": "J11", "name": "flu-like", "score": found[0]["score"],
                        "evidence": ["cough", "fever"]}
    assert found[2]["evidence"] == ["fever"]


def test_the_pregnancy_code_is_not_ruled_out_for_women_and_chinese_names_are_used() -> None:
    found = rank(MODEL, {"fever"}, age=30, sex="female", names={"fever": "发热"}, zh=True)
    assert found[0]["doid"] == "DOID:4"  # one listed symptom: the most specific
    assert {c["name"] for c in found} == {"pregnancy fever", "流感样", "broad"}  # no Chinese name → English


def test_a_more_specific_symptom_matches_its_parent_at_half_weight() -> None:
    found = {c["doid"]: c for c in rank(MODEL, {"hot"}, age=30, sex="female", names=NAMES, zh=False)}
    assert set(found) == {"DOID:1", "DOID:2", "DOID:4"}
    assert found["DOID:4"]["evidence"] == ["high fever"]


def test_no_mapped_symptom_means_no_condition() -> None:
    assert rank(MODEL, {"mild"}, age=30, sex="male", names={}, zh=False) == []


@pytest.mark.django_db
def test_conditions_come_from_the_loaded_graph() -> None:
    services.knowledge_load()
    answer = services.triage_for(None, text="I have a fever, a cough and a runny nose", age=30, sex="male",
                                 language="en")
    assert answer.conditions
    top = answer.conditions[0]
    assert set(top) == {"doid", "icd10", "name", "score", "evidence"}
    assert top["doid"].startswith("DOID:")
    assert set(top["evidence"]) <= {"fever", "cough", "runny nose"}
    assert sorted((c["score"] for c in answer.conditions), reverse=True) == [c["score"] for c in answer.conditions]


def test_a_common_condition_has_the_higher_prior() -> None:
    from dataclasses import replace

    common = replace(MODEL, common=frozenset({"DOID:2"}))
    found = rank(common, {"fever", "cough"}, age=30, sex="male", names=NAMES, zh=False)
    assert found[0]["doid"] == "DOID:2"  # 20 · (2/14)^2 > (2/12)^2


@pytest.mark.django_db
def test_fever_and_cough_rank_common_conditions_first_in_both_languages() -> None:
    from knowledge.tables import COMMON_DISEASES

    services.knowledge_load()
    en = services.triage_for(None, text="fever and cough", age=30, sex="male", language="en")
    zh = services.triage_for(None, text="发烧，咳嗽", age=30, sex="male", language="zh-hans")
    assert [c["doid"] for c in en.conditions] == [c["doid"] for c in zh.conditions]
    assert all(c["doid"] in COMMON_DISEASES for c in en.conditions[:3])
    assert [c["name"] for c in zh.conditions] == [COMMON_DISEASES.get(c["doid"], c["name"]) for c in zh.conditions]
    assert set(zh.conditions[0]["evidence"]) == {"发热", "咳嗽"}


@pytest.mark.django_db
def test_vignette_conditions_agree_between_english_and_chinese() -> None:
    """The same candidates for the English and the Chinese text of a vignette (top 3, as sets); figure with -s."""
    import json
    from pathlib import Path

    services.knowledge_load()
    vignettes = json.loads((Path(__file__).parents[1] / "data" / "triage_vignettes.json").read_text())["vignettes"]
    same = with_conditions = 0
    for v in vignettes:
        en = services.triage_for(None, text=v["en"], age=v["age"], sex=v["sex"], language="en").conditions
        zh = services.triage_for(None, text=v["zh"], age=v["age"], sex=v["sex"], language="zh-hans").conditions
        with_conditions += bool(en)
        same += {c["doid"] for c in en[:3]} == {c["doid"] for c in zh[:3]}
    print(f"\nvignettes={len(vignettes)} with_conditions={with_conditions} conditions_en_zh_same_top3={same / len(vignettes):.3f}")
    assert with_conditions >= 0.8 * len(vignettes)
    assert same >= 0.8 * len(vignettes)
