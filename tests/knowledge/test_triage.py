"""Triage: extraction with negation (en/zh), every red-flag rule, the API contract, the vignette figures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.cache import cache

from accounts.models import AuditEvent
from knowledge.triage import RED_FLAGS, extract, triage

VIGNETTES = json.loads((Path(__file__).parents[1] / "data" / "triage_vignettes.json").read_text())["vignettes"]


def _ids(text: str, language: str) -> dict[str, bool]:
    return {f.id: f.negated for f in extract(text, language)}


@pytest.mark.parametrize(("text", "language"), [
    ("Runny nose for two days, no fever.", "en"),
    ("Runny nose and not feverish, without a fever", "en"),
    ("流鼻涕两天了，没有发烧。", "zh-hans"),
    ("流鼻涕两天了，不发烧。", "zh-hans"),
])
def test_negated_fever_is_found_and_marked_negated(text: str, language: str) -> None:
    found = _ids(text, language)
    assert found["rhinorrhoea"] is False
    assert found["fever"] is True


@pytest.mark.parametrize(("text", "language"), [("I have a fever and a cough", "en"), ("发烧，咳嗽", "zh-hans"),
                                                 ("发热咳嗽三天了", "zh-hans")])
def test_present_symptoms_are_not_negated(text: str, language: str) -> None:
    found = _ids(text, language)
    assert found == {"fever": False, "cough": False}


def test_negated_symptom_does_not_raise_urgency() -> None:
    assert triage("Runny nose, mild sore throat, no fever", age=30, sex="male", language="en").urgency == "self_care"
    assert triage("baby, fever", age=0.1, sex="male", language="en").urgency == "emergency"
    assert triage("baby, no fever, runny nose", age=0.1, sex="male", language="en").urgency != "emergency"


RED_FLAG_CASES = {
    "cardiac_chest_pain": ("chest pain and sweating", "胸痛，出冷汗", 60),
    "stroke_signs": ("my face is drooping", "脸歪了", 70),
    "anaphylaxis": ("my lips and tongue are swelling", "嘴唇和舌头肿了", 30),
    "severe_breathlessness": ("my lips look blue", "嘴唇发紫", 60),
    "gi_bleeding": ("I vomited blood", "吐血了", 50),
    "thunderclap_headache": ("the worst headache of my life and a stiff neck", "最剧烈的头痛，脖子发硬", 40),
    "meningitis_signs": ("fever and spots that do not fade when pressed", "发烧，斑点按压不褪色", 20),
    "suicidal_intent": ("I want to kill myself", "我想自杀", 20),
    "infant_fever": ("my baby has a fever", "宝宝发烧", 0.1),
    "pregnancy_bleeding_pain": ("I am pregnant and have vaginal bleeding", "怀孕了，阴道出血", 28),
    "acute_abdomen_fever": ("severe abdominal pain and fever", "肚子剧烈疼痛，发烧", 30),
}


def test_every_red_flag_rule_has_a_case() -> None:
    assert set(RED_FLAG_CASES) == {code for code, *_ in RED_FLAGS}


@pytest.mark.parametrize("code", sorted(RED_FLAG_CASES))
def test_red_flag_sends_to_emergency_first_in_both_languages(code: str) -> None:
    en, zh, age = RED_FLAG_CASES[code]
    for text, language in ((en, "en"), (zh, "zh-hans")):
        answer = triage(text, age=age, sex="female", language=language)
        assert code in [f["code"] for f in answer.red_flags], (text, answer.red_flags)
        assert answer.urgency == "emergency"
        assert answer.departments[0]["code"] == "emergency"
        assert "120" in answer.advice
        assert "diagnosis" in answer.advice or "诊断" in answer.advice


def test_vignette_figures() -> None:
    """The published figures (docs/knowledge.md): urgency exact, emergency recall, department top 3, en = zh."""
    exact = top3 = same = 0
    emergencies = emergency_hits = 0
    for v in VIGNETTES:
        answers = {lang: triage(v[lang], age=v["age"], sex=v["sex"], language=code)
                   for lang, code in (("en", "en"), ("zh", "zh-hans"))}
        for answer in answers.values():
            exact += answer.urgency == v["urgency"]
            top3 += bool({d["code"] for d in answer.departments[:3]} & set(v["departments"]))
            if v["urgency"] == "emergency":
                emergencies += 1
                emergency_hits += answer.urgency == "emergency"
        same += answers["en"].urgency == answers["zh"].urgency
    n = 2 * len(VIGNETTES)
    print(f"\nvignettes={len(VIGNETTES)} urgency_exact={exact / n:.3f} emergency_recall="
          f"{emergency_hits}/{emergencies} department_top3={top3 / n:.3f} en_zh_same={same / len(VIGNETTES):.3f}")
    assert len(VIGNETTES) >= 40
    assert exact / n >= 0.80
    assert emergency_hits == emergencies
    assert top3 / n >= 0.90
    assert same / len(VIGNETTES) >= 0.90


@pytest.fixture
def api(client):  # type: ignore[no-untyped-def]
    cache.clear()
    return client


def _post(client, body):  # type: ignore[no-untyped-def]
    return client.post("/api/triage/", data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_api_contract_anonymous_not_audited(api) -> None:  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.count()
    response = _post(api, {"text": "胸口压榨样疼痛，出冷汗", "age": 58, "sex": "male", "language": "zh-hans"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"urgency", "red_flags", "departments", "conditions", "symptoms", "advice"}
    assert body["urgency"] == "emergency"
    assert body["departments"][0] == {"code": "emergency", "name": "急诊科", "score": body["departments"][0]["score"],
                                      "why": body["departments"][0]["why"]}
    assert isinstance(body["departments"][0]["score"], float)
    assert all(set(s) == {"id", "name", "negated"} for s in body["symptoms"])
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"text": "", "age": 30, "sex": "male"},
    {"text": "   ", "age": 30, "sex": "male"},
    {"text": "x" * 2001, "age": 30, "sex": "male"},
    {"text": "cough", "age": -1, "sex": "male"},
    {"text": "cough", "age": 30, "sex": "other"},
    {"text": "cough", "age": 30, "sex": "male", "language": "fr"},
])
def test_api_bad_input_is_400(api, body) -> None:  # type: ignore[no-untyped-def]
    response = _post(api, body)
    assert response.status_code == 400
    assert response.json()


@pytest.mark.django_db
def test_api_rate_limited(api) -> None:  # type: ignore[no-untyped-def]
    codes = [_post(api, {"text": "cough", "age": 30, "sex": "male"}).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30
    assert codes[30] == 429


@pytest.mark.django_db
def test_api_patient_is_audited(api) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import PatientFactory

    patient = PatientFactory()
    api.force_login(patient)
    response = _post(api, {"text": "I vomited blood", "age": 50, "sex": "male", "language": "en"})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="knowledge.triage")
    assert event.actor == patient
    assert event.detail["urgency"] == "emergency"
    assert "gi_bleeding" in event.detail["red_flags"]
