"""Refusals by the rules of internet diagnosis and treatment (docs/compliance.md): one error type and one
function every app uses, so each refusal writes exactly one audit row (through the access policy's refusal
function, outside any write transaction) and carries a stable code, a message in the user's language and,
where there is one, the way forward (`extra`, e.g. the in-person slots a first visit is offered)."""
from __future__ import annotations

from typing import Any, NoReturn

from django.utils.translation import gettext as _

from core.errors import PermissionDeniedError

from . import policy
from .models import User


class RuleRefused(PermissionDeniedError):
    """A rule of the regulations refused the request (HTTP 403). Already audited."""

    code = "rule_refused"
    audited = True


def refuse_rule(*, actor: Any, rule: str, reason: str, message: Any, object_type: str, object_id: Any = "",
                subject: Any = None, action: str = "write", extra: dict[str, Any] | None = None) -> NoReturn:
    """Write the one `denied` audit row (reason = the rule's code) and raise RuleRefused with `reason` as its
    code. Call it before the service's write transaction."""
    try:
        policy.refuse(actor=actor, object_type=object_type, object_id=object_id, action=action, reason=reason,
                      rule=rule, subject=subject, message=message, error=RuleRefused)
    except RuleRefused as exc:
        exc.code = reason
        exc.extra = dict(extra or {})
        raise


def doctor_online_check(*, doctor: User, object_type: str, object_id: Any = "", subject: Any = None) -> None:
    """A doctor takes part in an online consultation only with real-name identity, a practice licence, their
    institution's consent and ≥ 3 years of independent practice on record, and — in a web session — only
    after their own two-factor log-in. Refused (RuleRefused, audited) otherwise."""
    from .services.identity import online_practice_gaps, session_mfa_missing

    gaps = online_practice_gaps(doctor)
    if gaps:
        refuse_rule(actor=doctor, rule="doctor_online_qualification", reason="doctor_not_qualified",
                    object_type=object_type, object_id=object_id, subject=subject,
                    message=_("You cannot take online consultations yet: %(gaps)s.")
                    % {"gaps": "; ".join(str(g.message) for g in gaps)},
                    extra={"gaps": [g.code for g in gaps]})
    if session_mfa_missing():
        refuse_rule(actor=doctor, rule="doctor_online_mfa", reason="doctor_session_without_mfa",
                    object_type=object_type, object_id=object_id, subject=subject,
                    message=_("Online consultations need a session signed in with your own second factor "
                              "(authenticator app). Log out and log in again with it."))
