"""Federation: this platform's profile, peers and their secrets, the signed outbox delivery, and receipt.

Delivery is at-least-once (outbox + retries); receipt is idempotent (unique (origin, case UUID, version)
and unique usage event UUIDs), so each case is stored exactly once on each peer.
"""
from __future__ import annotations

import json
import logging
import random
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from core.errors import ApplicationError

from .. import conf, crypto, deid, signing
from ..models import (
    Case,
    CaseEvent,
    DeliveryAttempt,
    EventKind,
    OutboxMessage,
    OutboxStatus,
    Peer,
    SeenNonce,
)
from ..profile import CASE_SCHEMA, USAGE_SCHEMA, platform_profile, profile_public  # noqa: F401 - used by callers
from ..textsearch import search_text_for  # noqa: F401 - used by callers

logger = logging.getLogger(__name__)



class Unauthorized(ApplicationError):
    code = "unauthorized"


class PayloadRefused(ApplicationError):
    code = "refused"


# --- profile and peers (S100–S200) ------------------------------------------------------------------


@transaction.atomic
def peer_create(*, name: str, instance_id: str, url: str, key_id: str, secret: str, tags: list[str] | None = None,
                enabled: bool = True) -> Peer:
    """Register a peer with the shared secret of the pair (stored encrypted). Raises ApplicationError."""
    if len(secret) < 16:
        raise ApplicationError(_("The shared secret must be at least 16 characters."))
    peer = Peer(name=name, instance_id=instance_id, url=url.rstrip("/"), key_id=key_id, tags=tags or [],
                enabled=enabled, secret_encrypted=crypto.encrypt(secret))
    peer.full_clean()
    peer.save()
    return peer


def peer_set_secret(*, peer: Peer, secret: str) -> Peer:
    if len(secret) < 16:
        raise ApplicationError(_("The shared secret must be at least 16 characters."))
    peer.secret_encrypted = crypto.encrypt(secret)
    peer.save(update_fields=["secret_encrypted"])
    return peer


def peer_rotate_keys() -> int:
    """Re-encrypt every stored secret (federation peers' secrets, MME peers' tokens) under the newest key of
    RARECASES_PEER_KEYS. Returns how many were re-encrypted."""
    from ..models import MmeNode

    n = 0
    with transaction.atomic():
        for peer in Peer.objects.select_for_update().order_by("pk"):
            peer.secret_encrypted = crypto.rotate(peer.secret_encrypted)
            peer.save(update_fields=["secret_encrypted"])
            n += 1
        # The tokens our MME peers gave us are encrypted with the same keys.
        for node in MmeNode.objects.select_for_update().exclude(token_out_encrypted="").order_by("pk"):
            node.token_out_encrypted = crypto.rotate(node.token_out_encrypted)
            node.save(update_fields=["token_out_encrypted"])
            n += 1
    return n


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _http(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=conf.http_timeout()) as resp:  # noqa: S310 - admin-set peer URL
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def peer_fetch_profile(*, peer: Peer, adopt_tags: bool = False) -> Peer:
    """S200: fetch the peer's public profile and store it (its feature tags become the peer's tags when
    `adopt_tags` or when none were set). Raises ApplicationError when the peer cannot be reached."""
    try:
        status, body = _http("GET", f"{peer.url}/federation/profile/", None, {"Accept": "application/json"})
        data = json.loads(body)
    except (OSError, ValueError) as exc:
        raise ApplicationError(_("Could not fetch the peer's profile: %(error)s") % {"error": exc}) from exc
    if status != 200 or not isinstance(data, dict):
        raise ApplicationError(_("The peer answered %(status)s.") % {"status": status})
    peer.profile = data
    peer.profile_fetched_at = timezone.now()
    fields = ["profile", "profile_fetched_at"]
    if adopt_tags or not peer.tags:
        peer.tags = [str(t) for t in data.get("feature_tags", [])][:50]
        fields.append("tags")
    peer.save(update_fields=fields)
    return peer


# --- sending ----------------------------------------------------------------------------------------


def case_payload(case: Case) -> dict[str, Any]:
    """Exactly what leaves the instance for a case (also shown to the doctor as the preview)."""
    return {
        "schema": CASE_SCHEMA, "origin": case.origin, "case_uuid": str(case.case_uuid), "version": case.version,
        "title": case.title, "age_band": case.age_band, "sex": case.sex, "region": case.region,
        "codes": case.codes, "category": case.category, "chapter": case.chapter, "orpha": case.orpha,
        "phenotypes": case.phenotypes, "findings": case.findings, "treatment": case.treatment,
        "outcome": case.outcome, "tags": case.tags, "created_at": case.created_at.isoformat(),
        "provenance": {"path": list(case.provenance.get("path", [case.origin]))},
    }


def outbox_enqueue(*, peer: Peer, kind: str, payload: dict[str, Any], case: Case | None = None) -> OutboxMessage | None:
    """Write an outbox row (call inside the caller's transaction) and queue its delivery after commit.
    Returns None when this case version is already queued for this peer."""
    from platform_site.tasking import enqueue_on_commit


    try:
        with transaction.atomic():
            msg = OutboxMessage.objects.create(peer=peer, kind=kind, payload=payload, case=case)
    except IntegrityError:
        return None
    enqueue_on_commit("rarecases.outbox_deliver_peer", peer.pk)
    return msg


def _backoff(attempts: int) -> float:
    """Exponential back-off with ±10 % jitter: base · 2^(attempts−1), capped."""
    delay = min(conf.backoff_max(), conf.backoff_base() * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not security


PATHS = {OutboxMessage.Kind.CASE: "/federation/cases/", OutboxMessage.Kind.USAGE: "/federation/usage/"}


BATCH_SCHEMA = "rarecases.batch/1"
BATCH_SIZE = 50


def _claim(*, ids: list[int], now: Any) -> tuple[Any, list[OutboxMessage]]:
    """Claim pending, unclaimed rows for a lease with one conditional UPDATE; returns the rows this call
    won. The lease end (with random microseconds) doubles as the claim token. No transaction is held
    during the HTTP call (SQLite would block every other writer meanwhile); if a worker dies mid-send
    the lease expires and the rows are sent again — harmless, the receiver de-duplicates."""
    token = now + timedelta(seconds=conf.http_timeout() * 3 + 5, microseconds=random.randrange(1, 999_999))  # noqa: S311
    (OutboxMessage.objects.filter(pk__in=ids, status=OutboxStatus.PENDING)
     .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(claimed_until=token))
    return token, list(OutboxMessage.objects.select_related("peer").filter(pk__in=ids, claimed_until=token)
                       .order_by("pk"))


def _send(peer: Peer, path: str, payload: dict[str, Any]) -> tuple[int | None, bytes, str]:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        headers = signing.sign(secret=crypto.decrypt(peer.secret_encrypted), key_id=peer.key_id, method="POST",
                               path=path, body=body)
        headers["Content-Type"] = "application/json"
        status_code, resp = _http("POST", f"{peer.url}{path}", body, headers)
    except Exception as exc:  # noqa: BLE001 - any transport error is a retry, recorded by the caller
        return None, b"", f"{type(exc).__name__}: {exc}"[:500]
    return status_code, resp, (resp[:300].decode(errors="replace") if status_code >= 300 else "")


def _record(rows: list[OutboxMessage], status_code: int | None, error: str, started: float,
            item_status: dict[int, str] | None = None) -> None:
    """Write each row's outcome and its attempt log in one short transaction."""
    now = timezone.now()
    ok = status_code is not None and 200 <= status_code < 300
    duration = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        for msg in rows:
            fields: dict[str, Any] = {"attempts": msg.attempts + 1, "claimed_until": None}
            refused = item_status is not None and item_status.get(msg.pk) == "refused"
            if ok and not refused:
                fields.update(status=OutboxStatus.DELIVERED, delivered_at=now, last_error="")
            elif refused or (status_code is not None and 400 <= status_code < 500
                             and status_code not in (401, 408, 409, 429)):
                # The peer refused the content itself (schema, identifiers): retrying cannot help.
                fields.update(status=OutboxStatus.REJECTED, last_error=error or "refused by the peer")
            else:
                fields.update(next_attempt_at=now + timedelta(seconds=_backoff(msg.attempts + 1)),
                              last_error=error or f"HTTP {status_code}")
            DeliveryAttempt.objects.create(message=msg, status_code=status_code, ok=ok and not refused,
                                           error=error if not refused else "refused by the peer",
                                           duration_ms=duration)
            OutboxMessage.objects.filter(pk=msg.pk).update(**fields)


def outbox_deliver(*, message_id: int) -> str:
    """Deliver one outbox row on its own (no-op unless pending and unclaimed); returns its status after."""
    _token, rows = _claim(ids=[message_id], now=timezone.now())
    if not rows:
        return "skipped"
    msg = rows[0]
    started = time.monotonic()
    status_code, _resp, error = _send(msg.peer, PATHS[msg.kind], msg.payload)
    _record(rows, status_code, error, started)
    return OutboxMessage.objects.values_list("status", flat=True).get(pk=msg.pk)


def outbox_deliver_peer(*, peer_id: int, max_batches: int = 1000) -> int:
    """Deliver everything due for one peer: cases in signed batches of up to BATCH_SIZE (one request,
    one transaction on the receiver), usage reports one by one. Several workers may run this for the
    same peer at once: their claims are disjoint. Returns how many rows were sent."""
    sent = 0
    for _batch in range(max_batches):
        now = timezone.now()
        due = (OutboxMessage.objects.filter(peer_id=peer_id, status=OutboxStatus.PENDING, next_attempt_at__lte=now)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).order_by("kind", "pk"))
        ids = list(due.values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            return sent
        _token, rows = _claim(ids=ids, now=now)
        cases = [r for r in rows if r.kind == OutboxMessage.Kind.CASE]
        for msg in (r for r in rows if r.kind != OutboxMessage.Kind.CASE):
            started = time.monotonic()
            status_code, _resp, error = _send(msg.peer, PATHS[msg.kind], msg.payload)
            _record([msg], status_code, error, started)
        if cases:
            started = time.monotonic()
            status_code, resp, error = _send(cases[0].peer, PATHS[OutboxMessage.Kind.CASE],
                                             {"schema": BATCH_SCHEMA, "cases": [m.payload for m in cases]})
            item_status = None
            if status_code is not None and 200 <= status_code < 300:
                try:
                    results = json.loads(resp)["results"]
                    item_status = {m.pk: r["status"] for m, r in zip(cases, results, strict=True)}
                except (ValueError, KeyError, TypeError):
                    status_code, error = None, "unreadable batch acknowledgement"
            _record(cases, status_code, error, started, item_status)
        sent += len(rows)
    return sent


def outbox_retry(*, message_ids: list[int]) -> int:
    """Admin action: make failed or waiting rows due now (rejected rows go back to pending)."""
    return OutboxMessage.objects.filter(pk__in=message_ids).exclude(status=OutboxStatus.DELIVERED).update(
        status=OutboxStatus.PENDING, next_attempt_at=timezone.now())


def outbox_sweep(*, inline: bool = False) -> int:
    """Periodic: for every peer with due rows queue one delivery task (or, `inline`, deliver now).
    Returns how many peers had something due."""
    from platform_site.tasking import enqueue


    now = timezone.now()
    peers = list(OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
                 .values_list("peer_id", flat=True).distinct().order_by("peer_id"))
    for peer_id in peers:
        if inline or not enqueue("rarecases.outbox_deliver_peer", peer_id):
            outbox_deliver_peer(peer_id=peer_id)
    return len(peers)


def nonce_purge() -> int:
    cutoff = timezone.now() - timedelta(seconds=2 * conf.replay_window())
    return SeenNonce.objects.filter(at__lt=cutoff).delete()[0]


# --- receiving --------------------------------------------------------------------------------------


def request_authenticate(*, method: str, path: str, body: bytes, headers: dict[str, str]) -> Peer:
    """Verify signature, freshness and nonce; returns the sending peer. Call inside the transaction that
    stores the payload, so a refused payload also forgets the nonce. Raises Unauthorized."""
    key_id = headers.get(signing.HEADER_KEY, "")
    peer = Peer.objects.filter(key_id=key_id, enabled=True).first() if key_id else None
    if peer is None:
        raise Unauthorized(_("Unknown or disabled key."))
    reason = signing.verify(secret=crypto.decrypt(peer.secret_encrypted), method=method, path=path, body=body,
                            headers=headers, window=conf.replay_window())
    if reason:
        raise Unauthorized(reason)
    try:
        with transaction.atomic():
            SeenNonce.objects.create(key_id=key_id, nonce=headers[signing.HEADER_NONCE])
    except IntegrityError as exc:
        raise Unauthorized("replayed request") from exc
    return peer


def _text_fields(payload: dict[str, Any]) -> dict[str, str]:
    fields = {k: str(payload.get(k) or "") for k in ("title", "region", "findings", "treatment", "outcome")}
    for i, item in enumerate(payload.get("codes", []) + payload.get("phenotypes", []) + payload.get("orpha", [])):
        fields[f"term{i}"] = " ".join(str(v) for k, v in item.items() if k != "id")
    return fields


def case_receive(*, peer: Peer, payload: dict[str, Any], audit: bool = True) -> tuple[Case, bool]:
    """Store a case from a peer (S1000, receiving side). Returns (case, created). The payload has passed
    the serializer; here: origin check, the de-identification check again, de-duplication, provenance.
    Raises PayloadRefused (nothing stored)."""
    me = platform_profile()
    origin = payload["origin"]
    if origin == me.instance_id:
        raise PayloadRefused(_("This case originates here."))
    hits = deid.check_fields(_text_fields(payload))
    if hits:
        raise PayloadRefused(_("The case carries a direct identifier and was refused."),
                             extra={"fields": sorted(hits)})
    path = [str(p) for p in payload.get("provenance", {}).get("path", [origin])][:20]
    existing = Case.objects.filter(origin=origin, case_uuid=payload["case_uuid"], version=payload["version"]).first()
    if existing:
        return existing, False
    newest = (Case.objects.filter(origin=origin, case_uuid=payload["case_uuid"])
              .order_by("-version").values_list("version", flat=True).first())
    is_current = newest is None or newest < payload["version"]
    fields = {k: payload[k] for k in ("title", "age_band", "sex", "region", "codes", "category", "chapter", "orpha",
                                      "phenotypes", "findings", "treatment", "outcome", "tags")}
    try:
        with transaction.atomic():
            # The unique (origin, uuid, version) index, not the check above, closes the race of two
            # deliveries of the same case arriving at once.
            case = Case.objects.create(
                origin=origin, case_uuid=payload["case_uuid"], version=payload["version"], is_current=is_current,
                received_from=peer, received_at=timezone.now(), created_at=payload["created_at"],
                provenance={"path": [*path, me.instance_id], "received_from": peer.instance_id,
                            "hops": len(path)},
                search_text=search_text_for(fields), **fields)
            from .mme import profile_for_case

            profile_for_case(case=case, source="received")
    except IntegrityError:
        return Case.objects.get(origin=origin, case_uuid=payload["case_uuid"], version=payload["version"]), False
    if is_current:
        Case.objects.filter(origin=origin, case_uuid=case.case_uuid, version__lt=case.version).update(is_current=False)
    if audit:
        audit_record(actor=None, action="create", object_type="rarecases.case", object_id=str(case.case_uuid),
                     detail={"from_peer": peer.instance_id, "version": case.version})
    return case, True


REMOTE_KIND = {"view": EventKind.REMOTE_VIEW, "share_peer": EventKind.SHARE_PEER}


def usage_receive(*, peer: Peer, payload: dict[str, Any]) -> bool:
    """A peer reports a view/usage of a case that originated here (S520 across the federation).
    Returns False for a duplicate report. Raises PayloadRefused for a case not held here."""
    me = platform_profile()
    if payload["origin"] != me.instance_id:
        raise PayloadRefused(_("The case did not originate here."))
    case = (Case.objects.filter(origin=me.instance_id, case_uuid=payload["case_uuid"])
            .order_by("-is_current", "-version").first())
    if case is None:
        raise PayloadRefused(_("Unknown case."))
    try:
        with transaction.atomic():
            CaseEvent.objects.create(
                case=case, kind=REMOTE_KIND.get(payload["kind"], EventKind.REMOTE_USE), at=payload["at"], peer=peer,
                source_node=payload["source_node"][:120], target_node=payload["target_node"][:120],
                depth=min(int(payload["depth"]), 50), event_uuid=payload["event_uuid"])
    except IntegrityError:
        return False
    return True


