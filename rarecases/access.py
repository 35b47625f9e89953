"""The one place rarecases' new code (MME, similar-patient searches) refuses access: one audit row per refusal,
and for pages a NotFound (answered 404, we never say whether the object exists). Swapped for the platform
policy (accounts/policy.py, issue 15) at merge."""
from __future__ import annotations

from typing import Any, NoReturn

from django.utils.translation import gettext_lazy as _

from accounts.errors import NotFound
from accounts.services import audit_denied


def refusal_audit(*, actor: Any, object_type: str, object_id: Any, reason: str) -> None:
    audit_denied(actor=actor, object_type=object_type, object_id=str(object_id)[:64], reason=reason)


def refuse(*, actor: Any, object_type: str, object_id: Any, reason: str) -> NoReturn:
    refusal_audit(actor=actor, object_type=object_type, object_id=object_id, reason=reason)
    raise NotFound(_("Not found."))
