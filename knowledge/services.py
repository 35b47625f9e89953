from __future__ import annotations

from typing import Any

from accounts.audit import audit_record
from knowledge.triage import Answer, triage


def triage_for(user: Any, *, text: str, age: float, sex: str, language: str) -> Answer:
    """Triage a text; a logged-in patient's answer is audited (the urgency and departments, not the text)."""
    answer = triage(text, age=age, sex=sex, language=language)
    if getattr(user, "is_authenticated", False):
        audit_record(actor=user, action="knowledge.triage", object_type="triage", subject=user,
                     detail={"urgency": answer.urgency, "red_flags": [f["code"] for f in answer.red_flags],
                             "departments": [d["code"] for d in answer.departments[:3]]})
    return answer
