"""Symptom triage: which department, and how soon. Guidance, never a diagnosis.

Order of work: extract symptoms (English phrase matching; Chinese segmented with jieba, whose user dictionary
is the lexicon's Chinese names and synonyms), with negation ("no fever", "没有发烧", "不发烧"); then the red-flag
rule table (any rule that fires sends to the emergency department at once); then urgency rules; then
departments ranked by the summed weights of the symptoms found, with age (children → paediatrics); then, given
the graph's model, candidate conditions (knowledge/conditions.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from knowledge.conditions import ConditionModel, rank
from knowledge.lexicon import DEPARTMENTS, SYMPTOMS

MAX_TEXT = 2000
EN_NEGATION = re.compile(r"\b(no|not|without|never|denies)\b(?:\W+\w+){0,3}\W*$")
ZH_NEGATORS = ("没有", "没", "不", "无", "未")
CLAUSE = re.compile(r"[,.;!?，。；！？、\n]+")


@dataclass(frozen=True)
class Found:
    id: str
    negated: bool


@dataclass
class Answer:
    urgency: str
    red_flags: list[str]
    departments: list[dict[str, Any]]
    symptoms: list[dict[str, Any]]
    advice: str
    conditions: list[dict[str, Any]] = field(default_factory=list)


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    for _, _, _, zh_phrases, _ in SYMPTOMS.values():
        for phrase in zh_phrases:
            tokenizer.add_word(phrase, freq=200000)
    for word in ZH_NEGATORS:
        tokenizer.add_word(word, freq=200000)
    return tokenizer


def _zh_negated(clause: str, start: int) -> bool:
    """A Chinese phrase is negated when a negator is one of the two jieba tokens just before it."""
    before = _jieba().lcut(clause[:start])
    return any(token in ZH_NEGATORS for token in before[-2:])


def extract(text: str, language: str) -> list[Found]:
    """The lexicon's symptoms in `text`, each once (negated only if every mention is negated)."""
    seen: dict[str, bool] = {}
    zh = language.startswith("zh") or re.search(r"[\u4e00-\u9fff]", text) is not None
    for clause in CLAUSE.split(text.lower() if not zh else text):
        for sid, (_, _, en_phrases, zh_phrases, _) in SYMPTOMS.items():
            for phrase in (zh_phrases if zh else en_phrases):
                start = clause.find(phrase)
                if start < 0 or (not zh and not re.search(rf"\b{re.escape(phrase)}", clause)):
                    continue
                negated = _zh_negated(clause, start) if zh else bool(EN_NEGATION.search(clause[:start]))
                seen[sid] = seen.get(sid, True) and negated
                break
    return [Found(sid, negated) for sid, negated in seen.items()]


# The red-flag table: (code, English, Chinese, test over the set of present symptoms and the age in years).
RED_FLAGS: list[tuple[str, str, str, Any]] = [
    ("cardiac_chest_pain", "Chest pain with spreading pain, sweating or breathlessness", "胸痛伴放射痛、出汗或气短",
     lambda s, a: "chest_pain" in s and bool(s & {"radiating_arm", "sweating", "dyspnoea"})),
    ("stroke_signs", "Signs of a stroke (face, arm, speech)", "卒中征象（面部、手臂、言语）",
     lambda s, a: bool(s & {"face_droop", "speech_difficulty", "arm_weakness"}) and "after_stroke" not in s),
    ("anaphylaxis", "Signs of a severe allergic reaction", "严重过敏反应征象",
     lambda s, a: "lip_swelling" in s or ("allergen" in s and bool(s & {"hives", "dyspnoea", "wheeze"}))),
    ("severe_breathlessness", "Severe breathlessness or blue lips", "严重呼吸困难或口唇发绀",
     lambda s, a: bool(s & {"cyanosis", "cannot_speak_sentence"})),
    ("gi_bleeding", "Vomiting blood or black stool", "呕血或黑便",
     lambda s, a: bool(s & {"haematemesis", "melaena"})),
    ("thunderclap_headache", "Worst-ever headache with a stiff neck or vomiting", "剧烈头痛伴颈项强直或呕吐",
     lambda s, a: "worst_headache" in s and bool(s & {"neck_stiffness", "vomiting"})),
    ("meningitis_signs", "Fever with a rash that does not fade when pressed", "发热伴压之不褪色的皮疹",
     lambda s, a: "petechiae" in s),
    ("suicidal_intent", "Thoughts of suicide or a plan", "自杀念头或计划",
     lambda s, a: "suicidal" in s),
    ("infant_fever", "Fever in a baby under 3 months", "3个月以下婴儿发热",
     lambda s, a: a < 0.25 and "fever" in s),
    ("pregnancy_bleeding_pain", "Pregnancy with bleeding or severe abdominal pain", "妊娠伴出血或剧烈腹痛",
     lambda s, a: "pregnant" in s and ("vaginal_bleeding" in s or ("abdominal_pain" in s and "severe" in s))),
    ("acute_abdomen_fever", "Acute abdominal pain with fever", "急性腹痛伴发热",
     lambda s, a: "abdominal_pain" in s and "fever" in s and bool(s & {"severe", "right_lower_abdomen"})),
]

URGENT_ALONE = {"high_fever", "haemoptysis", "haematuria", "urinary_retention", "blurred_vision", "jaundice",
                "blister_rash", "groin_colic", "dysphagia"}
WITH_FEVER = {"dysuria", "flank_pain", "dyspnoea", "abdominal_pain", "sore_throat"}
SELF_CARE_ALONE = {"insect_bite", "pimples"}

ADVICE = {
    "emergency": ("This may be an emergency. Call 120 now or go to the nearest emergency department. "
                  "Do not wait for an online appointment.",
                  "这可能是急症。请立即拨打120或前往最近的医院急诊科，不要等待线上预约。"),
    "urgent": ("See a doctor within 24 hours. If it gets worse, go to an emergency department.",
               "请在24小时内就医。如病情加重，请前往急诊科。"),
    "routine": ("Book an ordinary appointment with the department below.",
                "请预约下列科室的普通门诊。"),
    "self_care": ("You can usually care for this at home. See a doctor if it gets worse or does not improve.",
                  "通常可以在家自我护理。如症状加重或不见好转，请就医。"),
}
DISCLAIMER = ("This is guidance, not a diagnosis.", "以上仅为就诊指导，不是诊断。")


def _urgency(present: set[str], age: float, flags: list[str]) -> str:
    if flags:
        return "emergency"
    if present & URGENT_ALONE or ("fever" in present and present & WITH_FEVER):
        return "urgent"
    if "joint_pain" in present and "red_swollen" in present and present & {"severe", "sudden"}:
        return "urgent"
    if age < 5 and present & {"vomiting", "diarrhoea"} and "mild" not in present:
        return "urgent"
    if "eye_pain" in present and "photophobia" in present:
        return "urgent"
    if "mild" in present or (present and present <= SELF_CARE_ALONE | {"itch_rash"} and present & SELF_CARE_ALONE):
        return "self_care"
    if present == {"insomnia"}:
        return "self_care"
    return "routine"


def triage(text: str, *, age: float, sex: str, language: str, model: ConditionModel | None = None) -> Answer:
    """The answer; `model` (the graph's disease–symptom edges) adds ranked candidate conditions."""
    zh = language.startswith("zh")
    found = extract(text, language)
    present = {f.id for f in found if not f.negated}
    flags = [code for code, _, _, test in RED_FLAGS if test(present, age)]
    urgency = _urgency(present, age, flags)

    scores: dict[str, float] = {}
    why: dict[str, list[str]] = {}
    for sid in present:
        for dept, weight in SYMPTOMS[sid][4].items():
            if dept == "gynaecology" and sex != "female":
                continue
            scores[dept] = scores.get(dept, 0.0) + weight
            why.setdefault(dept, []).append(SYMPTOMS[sid][1 if zh else 0])
    if age < 14:
        scores["paediatrics"] = max(scores.values(), default=0.0) + 1
        why.setdefault("paediatrics", []).append("儿童" if zh else "a child")
    if urgency == "emergency":
        scores["emergency"] = max(scores.values(), default=0.0) + 10
        why["emergency"] = [next(en if not zh else cn for code, en, cn, _ in RED_FLAGS if code == flags[0])]
    if not scores:
        scores["internal-medicine"] = 1.0
        why["internal-medicine"] = ["未识别出具体症状" if zh else "no specific symptom recognised"]
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:5]
    departments = [{"code": code, "name": DEPARTMENTS[code][1 if zh else 0], "score": round(score, 2),
                    "why": "、".join(why[code]) if zh else ", ".join(why[code])} for code, score in ranked]
    return Answer(
        urgency=urgency,
        red_flags=[{"code": code, "name": cn if zh else en} for code, en, cn, _ in RED_FLAGS if code in flags],
        departments=departments,
        symptoms=[{"id": f.id, "name": SYMPTOMS[f.id][1 if zh else 0], "negated": f.negated} for f in found],
        advice=f"{ADVICE[urgency][1 if zh else 0]} {DISCLAIMER[1 if zh else 0]}",
        conditions=rank(model, present, age=age, sex=sex, zh=zh,
                        names={sid: SYMPTOMS[sid][1 if zh else 0] for sid in present}) if model else [],
    )
