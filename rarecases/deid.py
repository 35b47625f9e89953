"""De-identification check (pure): finds direct identifiers in free text so a case carrying one is refused.

Refused (HIPAA Safe Harbor / PIPL "personal information that identifies"): names (the people of the
encounter, and honorific or labelled name patterns), Chinese resident ID numbers, phone numbers,
e-mail addresses (also written out as "at … dot …"), medical-record and other labelled numbers,
exact dates (day precision, including dates of birth), street addresses (English and Chinese), URLs,
IP addresses and long digit runs. Ages, years, lab values and ICD/HPO codes pass.

The check is deliberately conservative: a false refusal costs the doctor an edit; a false pass leaks.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str
    start: int


# Full-width digits/letters/punctuation (１３８, ＠, ．) become ASCII before matching.
def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return text.replace("。", ".").replace("，", ",").replace("－", "-").replace("—", "-")


_SEP = r"[\s\-.·/_()]{0,3}"  # separators people put inside numbers: spaces, dashes, dots, brackets

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[\w-]+)+", re.I)),
    ("email", re.compile(r"\b[\w.+-]+\s+at\s+[\w-]+\s+dot\s+(?:com|cn|net|org|edu|gov)\b", re.I)),
    ("url", re.compile(r"\b(?:https?://|www\.)\S+", re.I)),
    ("ip_address", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")),
    # Chinese resident identity card: 6-digit area, 8-digit birth date, 3-digit sequence, check digit/X,
    # possibly split by separators. 15-digit first-generation cards too.
    ("resident_id", re.compile(r"(?<![\dA-Za-z])[1-9]\d{5}" + _SEP + r"(?:18|19|20)\d{2}" + _SEP
                               + r"(?:0[1-9]|1[0-2])" + _SEP + r"(?:0[1-9]|[12]\d|3[01])" + _SEP
                               + r"\d{3}" + _SEP + r"[\dXx](?![\dA-Za-z])")),
    ("resident_id", re.compile(r"(?<!\d)[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)")),
    # Mainland mobile numbers (+86 optional) with any separators, and landlines with an area code.
    ("phone", re.compile(r"(?<![\d])(?:(?:\+|00)\s?86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP
                         + r"\d{4}(?!\d)")),
    ("phone", re.compile(r"(?<![\d])(?:\(?0\d{2,3}\)?[\s-]{1,3})\d{3,4}[\s-]?\d{4}(?!\d)")),
    ("phone", re.compile(r"(?:\+\s?\d{1,3}[\s-]?)(?:\(?\d{1,4}\)?[\s-]?){2,4}\d{3,4}(?!\d)")),
    ("phone", re.compile(r"(?:phone|tel|mobile|cell|电话|手机|联系方式)\s*(?:no\.?|number|号码)?\s*[:：]?\s*[\d+(][\d\s()+-]{5,}", re.I)),
    # Labelled record numbers: MRN 00012345, 病历号: A1234, 住院号 ..., patient ID ..., 医保卡号 ...
    ("record_number", re.compile(
        r"(?:\bMRN\b|\bmedical\s+record\s*(?:no\.?|number|#)?|\bpatient\s*(?:id|no\.?|number|#)|\bcase\s*(?:no\.?|number|#)"
        r"|\bchart\s*(?:no\.?|number|#)|\bhospital\s*(?:no\.?|number)|\b(?:ID|passport|insurance|SSN)\s*(?:no\.?|number|#)?"
        r"|病历号|病案号|住院号|门诊号|就诊号|身份证号?|医保卡?号|护照号|社保号|卡号|编号)"
        r"\s*[:：#]?\s*[A-Za-z]{0,3}[-\s]?\d[\dA-Za-z-]{2,}", re.I)),
    ("long_number", re.compile(r"(?<![\d.])\d(?:[\s-]?\d){8,}(?![\d.])")),
    # Exact dates (day precision). Years and "March 2021" pass.
    ("date", re.compile(r"\b(?:18|19|20)\d{2}\s*[-/.]\s*(?:0?[1-9]|1[0-2])\s*[-/.]\s*(?:0?[1-9]|[12]\d|3[01])\b")),
    ("date", re.compile(r"\b(?:0?[1-9]|[12]\d|3[01])\s*[-/.]\s*(?:0?[1-9]|1[0-2])\s*[-/.]\s*(?:18|19|20)\d{2}\b")),
    ("date", re.compile(r"(?:(?:18|19|20)\d{2}\s*年\s*)?(?:0?[1-9]|1[0-2])\s*月\s*(?:0?[1-9]|[12]\d|3[01])\s*[日号]")),
    ("date", re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:0?[1-9]|[12]\d|3[01])"
                        r"(?:st|nd|rd|th)?,?\s+(?:18|19|20)\d{2}\b", re.I)),
    ("date", re.compile(r"\b(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|"
                        r"oct|nov|dec)[a-z]*\.?,?\s+(?:18|19|20)\d{2}\b", re.I)),
    ("date", re.compile(r"(?:\bDOB\b|\bdate\s+of\s+birth\b|\bborn\s+(?:on\s+)?|出生(?:日期|于|在)?)\s*[:：]?\s*\d", re.I)),
    # Addresses.
    ("address", re.compile(r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z'-]+\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|"
                           r"Boulevard|Blvd|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Highway|Hwy)\b\.?")),
    ("address", re.compile(r"\b(?:apt|apartment|suite|unit|room|flat|building|bldg)\.?\s*#?\s*\d+[A-Za-z]?\b", re.I)),
    ("address", re.compile(r"[\u4e00-\u9fff]{1,12}(?:路|街|道|大街|巷|弄|胡同|村|小区|大厦|花园)\s*\d+\s*(?:号|弄|栋|幢|单元|室)")),
    ("address", re.compile(r"\d+\s*(?:号楼|栋|幢|单元|室|号院)")),
    ("address", re.compile(r"[\u4e00-\u9fff]{2,8}(?:省|自治区)[\u4e00-\u9fff]{2,8}市[\u4e00-\u9fff]{1,8}(?:区|县)")),
    ("address", re.compile(r"(?:住址|地址|家住|住在|address)\s*[:：]?\s*\S", re.I)),
    ("address", re.compile(r"(?:邮编|邮政编码|postcode|zip\s*code)\s*[:：]?\s*\d{5,6}", re.I)),
    # Name patterns: honorifics and labels. (Known names of the encounter are checked separately.)
    ("name", re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Madam|Dr|Prof)\.?\s+[A-Z][a-z'-]+")),
    ("name", re.compile(r"(?:\bname|\bpatient\s+name|姓名|名字|患者姓名)\s*[:：]\s*\S", re.I)),
    ("name", re.compile(r"[赵钱孙李周吴郑王冯陈卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜谢邹苏潘葛范彭马方任袁唐薛雷"
                        r"贺罗郝于傅康余顾孟黄姚邵汪毛宋熊梁杜贾江郭林钟徐高夏蔡田胡万卢邓丁崔程陆刘叶龙黎]"
                        r"(?:[\u4e00-\u9fff])?(?:先生|女士|小姐|太太|阿姨|大爷|老师|同学)")),
]


def _name_variants(name: str) -> Iterable[str]:
    name = normalise(name).strip()
    if not name:
        return
    yield name
    for part in re.split(r"[\s,.;·]+", name):
        latin = re.fullmatch(r"[A-Za-z'-]+", part)
        cjk = re.fullmatch(r"[\u3400-\u9fff]{2,}", part)
        if (latin and len(part) >= 3 and part.lower() not in _COMMON_WORDS) or cjk:
            yield part


# Words that are part of demo/test names but also ordinary clinical English; never treated as a name alone.
_COMMON_WORDS = frozenset({"demo", "test", "person", "patient", "doctor", "child", "the", "and", "mrs", "miss"})


def find_identifiers(text: str, *, known_names: Iterable[str] = (), known_values: Iterable[str] = ()) -> list[Finding]:
    """Every identifier found in `text`, in order. `known_names`: names of the people of this encounter;
    `known_values`: their exact phone numbers, addresses, e-mails (matched ignoring spaces and dashes)."""
    text = normalise(text)
    found: list[Finding] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            found.append(Finding(kind, m.group(0).strip(), m.start()))
    lowered = text.lower()
    for name in known_names:
        for variant in _name_variants(name):
            v = variant.lower()
            if re.fullmatch(r"[a-z'-]+", v):
                hit = re.search(rf"(?<![a-z]){re.escape(v)}(?![a-z])", lowered)
            else:
                hit = re.search(re.escape(v), lowered)
            if hit:
                found.append(Finding("name", text[hit.start():hit.end()], hit.start()))
    squeezed = re.sub(r"[\s\-()]", "", lowered)
    for value in known_values:
        v = re.sub(r"[\s\-()]", "", normalise(value).lower())
        if len(v) >= 5 and v in squeezed:
            found.append(Finding("known_value", value, 0))
    found.sort(key=lambda f: f.start)
    return found


def check_fields(fields: dict[str, str], **context: Iterable[str]) -> dict[str, list[Finding]]:
    """{field: findings} for the fields that carry an identifier (empty dict when all are clean)."""
    result = {}
    for field, value in fields.items():
        hits = find_identifiers(value or "", **context)
        if hits:
            result[field] = hits
    return result


def age_band(years: int | None) -> str:
    """Five-year bands; 90 and over collapsed (Safe Harbor)."""
    if years is None or years < 0:
        return "unknown"
    if years >= 90:
        return "90+"
    low = (years // 5) * 5
    return f"{low}-{low + 4}"
