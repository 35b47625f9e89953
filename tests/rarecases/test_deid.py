"""The de-identification check: tricky free text, and property-based tests that generate identifiers."""
from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rarecases.deid import age_band, find_identifiers

CLEAN = [
    "Elevated phenylalanine 1200 umol/L; musty odour; eczema. Hb 9.8 g/dL, platelets 150000/uL.",
    "Onset at age 3, progressive weakness over 2 years; CK 4500 U/L; EMG myopathic. BP 120/80 mmHg.",
    "患者于3年前出现进行性肌无力，血清CK 4500 U/L，肌电图提示肌源性损害。",
    "Started on sapropterin 10 mg/kg/day in March 2024; phenylalanine fell to 360 umol/L.",
    "患者高热，体温39.2℃，给予布洛芬 0.2 g 口服。",
    "ICD-10 E70.0, HP:0001250 seizures, ORPHA:716. Follow-up in 6 months.",
    "Head CT after 2 weeks normal; repeat MRI at 12 months.",
    "Insulin 10 units before meals, 3 times a day.",
]

TRICKY = [
    ("resident_id", "ID card 110101 19900307 123X was checked at admission"),
    ("resident_id", "身份证 11010119900307123X"),
    ("phone", "contact 138-1234-5678 for results"),
    ("phone", "电话：＋86 139 1234 5678"),
    ("phone", "mother's mobile 13912345678."),
    ("phone", "landline (021) 6234-5678"),
    ("email", "send reports to li.wei@example.cn"),
    ("email", "write to wang at example dot com"),
    ("email", "zhang＠hospital。cn"),
    ("record_number", "MRN 00012345 readmitted"),
    ("record_number", "病历号：ZY2024-00123"),
    ("record_number", "住院号 A123456"),
    ("date", "DOB 1990-03-07"),
    ("date", "born on 7 March 1990"),
    ("date", "admitted 2024/05/17 with fever"),
    ("date", "出生于1990年3月7日"),
    ("date", "seen on March 7, 2024"),
    ("address", "lives at 12 Garden Road, apt 5"),
    ("address", "家住杭州市西湖区文三路123号"),
    ("address", "浙江省杭州市西湖区某小区"),
    ("name", "Mrs. Chen reports fatigue"),
    ("name", "王先生诉乏力"),
    ("name", "Name: Li Hua"),
    ("url", "images at https://pacs.example.cn/study/1"),
]


@pytest.mark.parametrize("text", CLEAN)
def test_clinical_text_without_identifiers_passes(text: str) -> None:
    assert find_identifiers(text) == []


@pytest.mark.parametrize(("kind", "text"), TRICKY)
def test_tricky_identifiers_are_found(kind: str, text: str) -> None:
    kinds = {f.kind for f in find_identifiers(text)}
    assert kind in kinds, find_identifiers(text)


def test_known_names_and_values_of_the_encounter_are_found() -> None:
    hits = find_identifiers("Seen with Zhou Xinyi; callback 0571 8888 1234 later; 林小红复诊",
                            known_names=["Zhou Xinyi", "林小红"], known_values=["0571-8888-1234"])
    assert [h.kind for h in hits].count("name") >= 2
    assert "known_value" in {h.kind for h in hits}
    assert find_identifiers("Test Person follow-up", known_names=["Test Person 7"]) == []


def test_age_band() -> None:
    assert [age_band(a) for a in (None, 0, 4, 5, 37, 89, 90, 103)] == [
        "unknown", "0-4", "0-4", "5-9", "35-39", "85-89", "90+", "90+"]


# --- property-based: generated identifiers embedded in clinical text are always refused ---------------

AREA = st.integers(110000, 659999).map(str)
DATE8 = st.dates().filter(lambda d: 1900 <= d.year <= 2030).map(lambda d: d.strftime("%Y%m%d"))
SEPS = st.sampled_from(["", " ", "-", " - ", "."])
PREFIX = st.sampled_from(CLEAN[:4] + [""])
SUFFIX = st.sampled_from(["", " Follow-up advised.", "，建议随访。", " (verified)"])


def _checksum(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


@st.composite
def resident_ids(draw) -> str:  # type: ignore[no-untyped-def]
    body = draw(AREA) + draw(DATE8) + f"{draw(st.integers(0, 999)):03d}"
    full = body + _checksum(body)
    sep = draw(SEPS)
    return sep.join([full[:6], full[6:14], full[14:]]) if sep else full


@st.composite
def mobiles(draw) -> str:  # type: ignore[no-untyped-def]
    digits = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from(string.digits),
                                                                              min_size=9, max_size=9)))
    sep = draw(SEPS)
    prefix = draw(st.sampled_from(["", "+86 ", "+86-", "0086 "]))
    return prefix + sep.join([digits[:3], digits[3:7], digits[7:]])


emails = st.builds(lambda u, d, t: f"{u}@{d}.{t}", st.from_regex(r"[a-z][a-z0-9._]{1,12}", fullmatch=True),
                   st.from_regex(r"[a-z]{2,10}", fullmatch=True), st.sampled_from(["com", "cn", "org", "edu.cn"]))
mrns = st.builds(lambda label, num: f"{label}{num}", st.sampled_from(["MRN ", "MRN: ", "病历号：", "住院号 ", "Patient ID "]),
                 st.from_regex(r"[A-Z]{0,2}\d{5,9}", fullmatch=True))
dobs = st.builds(lambda lab, d, fmt: f"{lab}{d.strftime(fmt)}", st.sampled_from(["DOB ", "born on ", "出生日期："]),
                 st.dates().filter(lambda d: 1900 <= d.year <= 2030), st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d"]))


@settings(max_examples=150, deadline=None)
@given(ident=st.one_of(resident_ids(), mobiles(), emails, mrns, dobs), before=PREFIX, after=SUFFIX)
def test_generated_identifiers_are_always_refused(ident: str, before: str, after: str) -> None:
    text = f"{before} {ident}{after}"
    assert find_identifiers(text), text


@settings(max_examples=100, deadline=None)
@given(value=st.floats(0.1, 9999, allow_nan=False).map(lambda v: f"{v:.1f}"),
       unit=st.sampled_from(["mg/dL", "umol/L", "U/L", "g/dL", "mmHg", "%", "kg"]),
       analyte=st.sampled_from(["CK", "Hb", "ALT", "glucose", "phenylalanine", "HbA1c", "weight"]),
       age=st.integers(0, 89))
def test_generated_lab_values_pass(value: str, unit: str, analyte: str, age: int) -> None:
    text = f"Age {age} years. {analyte} {value} {unit}, repeated after 3 months."
    assert find_identifiers(text) == [], text
