"""The one refusal function: every refused read or write of someone's data ends here, writes exactly one
`denied` audit row, and raises. Nothing else in the platform writes a `denied` row."""
from __future__ import annotations

from typing import Any, NoReturn

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotFound, PermissionDeniedError

from .decision import Decision


class AccessRefused(NotFound):
    """Someone else's object, or one that does not exist: answered 404 (we never say which). Already audited."""

    code = "not_found"
    audited = True


class RoleRefused(PermissionDeniedError):
    """A part of the platform this role may not use (no object involved): answered 403. Already audited."""

    code = "forbidden"
    audited = True


class LoginRequired(RoleRefused):
    """Not logged in: pages send to the log-in form, the API answers 401/403. Already audited."""

    code = "not_authenticated"


class RefusedInvalid(ApplicationError):
    """Refused because the request lacks what the rule asks for (break-glass without a reason): 400. Audited."""

    code = "refused"
    audited = True


def refuse(*, actor: Any, object_type: str, object_id: Any = "", action: str = "read", reason: str,
           rule: str = "", subject: Any = None, message: Any = None, status: int = 404,
           error: type[ApplicationError] | None = None) -> NoReturn:
    """Write one `denied` audit row (actor, object type and id, action, reason code, rule) and raise.

    `status` 404 (someone else's or no such object) raises AccessRefused; 403 (the role may not) RoleRefused;
    401 (anonymous) LoginRequired; 400 (the rule's condition is missing) RefusedInvalid; or `error`, a domain
    error type of the caller's. Call it outside the service's write transaction — a row written inside a
    transaction that then rolls back would be lost (the generated access test counts the rows).
    """
    from ..audit import audit_record
    from ..models import AuditAction

    detail = {"reason": str(reason), "action": str(action)}
    if rule:
        detail["rule"] = rule
    subject_user = subject if getattr(subject, "pk", None) else None
    audit_record(actor=actor, action=AuditAction.DENIED, object_type=object_type, object_id=object_id,
                 subject=subject_user, outcome="denied", detail=detail)
    if error is not None:  # a domain refusal with its own type (e.g. rare-case sharing without consent)
        exc = error(message or _("This request cannot be granted."))
        exc.audited = True  # type: ignore[attr-defined]
        raise exc
    if status == 401:
        raise LoginRequired(message or _("Please log in first."))
    if status == 400:
        raise RefusedInvalid(message or _("This request cannot be granted."))
    if status == 403:
        raise RoleRefused(message or _("This is not available to your role."))
    raise AccessRefused(message or _("Not found."))


def require(decision: Decision, *, actor: Any, object_type: str, object_id: Any = "", action: str = "read",
            subject: Any = None, message: Any = None, status: int = 404) -> Decision:
    """Return the decision when it allows; otherwise refuse (one audit row, then raise)."""
    if decision:
        return decision
    if decision.reason == "anonymous" and status == 403:
        status = 401
    refuse(actor=actor, object_type=object_type, object_id=object_id, action=action, reason=decision.reason,
           rule=decision.rule, subject=subject, message=message, status=status)


def obtain(queryset: Any, pk: Any, *, actor: Any, decide: Any, object_type: str, action: str = "read",
           message: Any = None, subject: str | None = "patient", readable: Any = None,
           forbidden: Any = None) -> Any:
    """Fetch one object by id and ask the rule about it: `decide(obj) -> Decision`. An id that names nothing
    is refused exactly like someone else's object (one audit row, not found). `subject` names the attribute
    holding whose data it is ("self" when the object is the person), shown to them on their access page.

    `readable(obj) -> Decision`: when the actor may see the object but not do this to it (a treating doctor
    amending a colleague's note), the refusal is a 403 with `forbidden` as its message — hiding an object the
    actor can read would only confuse them."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        decision = Decision(False, "", "no_such_object")
    else:
        decision = decide(obj)
    owner = None
    if obj is not None and subject:
        owner = obj if subject == "self" else getattr(obj, subject, None)
    status = 404
    if not decision and obj is not None and readable is not None and readable(obj):
        status, message = 403, forbidden or message
    require(decision, actor=actor, object_type=object_type, object_id=pk, action=action, subject=owner,
            message=message, status=status)
    return obj
