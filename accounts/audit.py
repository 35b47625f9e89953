"""The audit log: one writer every app calls (through accounts.services) for reads and changes of health data; refusals are written by the access policy's refusal function only (accounts.policy.refusal)."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .context import current_request, current_request_id
from .models import AuditChainHead, AuditEvent, User

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
GENESIS = "0" * 64


def _escape(value: str) -> str:
    """Escape control characters so an entry can never forge a line break or a terminal sequence."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", value)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, dict):
        return {_escape(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _escape(str(value))


def _digest(prev_hash: str, event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "subject": event.subject_id,
        "ip": event.ip,
        "path": event.path,
        "outcome": event.outcome,
        "detail": event.detail,
    }
    # The request id joined the payload later: a row without one hashes exactly as before the field existed,
    # so the chain written until then still verifies; a row with one covers it (changing it breaks the chain).
    if event.request_id:
        payload["request_id"] = event.request_id
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def _label(user: User | None) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"{user.email or user.pk} ({user.role})"


def audit_record(
    *,
    actor: User | None,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    subject: User | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one entry to the hash-chained audit log.

    Runs in its own atomic block and locks the chain head so concurrent writers append in order.
    """
    ctx = current_request.get()
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        # The head row serialises appends: without the lock two writers could chain onto the same hash.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor_obj,
            actor_label=_escape(actor_label if actor_label is not None else _label(actor)),
            action=action,
            object_type=_escape(object_type),
            object_id=_escape(str(object_id)),
            subject=subject if subject is not None and subject.pk else None,
            ip=ctx.ip,
            path=_escape(ctx.path[:300]),
            outcome=_escape(outcome),
            detail=_clean(detail or {}),
            request_id=_escape(current_request_id.get()[:64]),
            prev_hash=head.last_hash,
        )
        event.hash = _digest(head.last_hash, event)
        event.save(force_insert=True)
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def audit_chain_verify() -> ChainReport:
    """Recompute every hash in order. Reports the first row whose content or link does not match."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(False, checked, event.seq, f"gap: expected seq {expected_seq}")
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.seq, "link to previous entry broken")
        if _digest(prev, event) != event.hash:
            return ChainReport(False, checked, event.seq, "content changed")
        prev = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head and checked and head.last_hash != prev:
        return ChainReport(False, checked, head.last_seq, "entries removed from the end")
    return ChainReport(True, checked)
