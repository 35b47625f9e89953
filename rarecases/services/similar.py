"""A doctor's "find similar patients" for a case: the local match at once, and each enabled MME peer asked by
a Celery task (one per peer, queued on commit, bounded by the peer's time-out), with the answers stored so
the page shows them as they arrive. A periodic sweep re-queues peer queries a lost task left waiting and
closes ones a dead worker left running."""
from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from core.errors import ApplicationError

from .. import mme_protocol
from ..models import (
    Case,
    MatchProfile,
    MmeNode,
    PeerQueryStatus,
    ProfileSource,
    SimilarSearch,
    SimilarSearchPeer,
)
from . import mme

logger = logging.getLogger(__name__)
MAX_RESPONSE = 2 * 1024 * 1024
STALE_PENDING = timedelta(seconds=20)


def _query_patient(case: Case, *, include_test: bool) -> dict[str, Any]:
    profile = MatchProfile.objects.select_related("case", "case__received_from").filter(case=case).first()
    if profile is None:
        profile = mme.profile_for_case(case=case, source=ProfileSource.RECEIVED if case.received_from_id
                                       else ProfileSource.LOCAL)
    patient = mme.patient_for(profile)
    # We ask: the contact to answer is ours (also for a received or imported case), the id ours too.
    patient["id"], patient["contact"] = f"{case.origin}:{case.case_uuid}", mme.our_contact()
    patient.pop("test", None)
    if include_test:
        patient["test"] = True
    if not patient.get("features") and not patient.get("genomicFeatures"):
        raise ApplicationError(_("Add HPO phenotype terms or a candidate gene to the case before searching for "
                                 "similar patients."))
    return patient


@transaction.atomic
def similar_search_start(*, doctor: User, case: Case, include_test: bool = False) -> SimilarSearch:
    """Search the local cases now and queue one query per enabled MME peer (after commit). `include_test`
    marks the query as an MME test: peers answer with their test data and notify nobody. Raises
    ApplicationError when the case has neither phenotype terms nor genes (MME needs one of them)."""
    from platform_site.tasking import enqueue_on_commit

    patient = _query_patient(case, include_test=include_test)
    query = mme.profile_from_patient(patient)
    local = mme.match_local(query=query, include_test=include_test, exclude_case_ids={case.pk})
    search = SimilarSearch.objects.create(case=case, doctor=doctor, include_test=include_test, query=patient,
                                          local_results=local)
    nodes = list(MmeNode.objects.filter(search_enabled=True).exclude(base_url="").exclude(token_out_encrypted="")
                 .order_by("name"))
    rows = SimilarSearchPeer.objects.bulk_create([SimilarSearchPeer(search=search, node=n) for n in nodes])
    for row in rows:
        enqueue_on_commit("rarecases.similar_search_peer", row.pk)
    audit_record(actor=doctor, action="read", object_type="rarecases.similar_search", object_id=str(search.pk),
                 detail={"case": case.pk, "peers": [n.pk for n in nodes], "test": include_test})
    return search


def _post(node: MmeNode, body: bytes) -> tuple[int | None, bytes, str]:
    req = urllib.request.Request(f"{node.base_url}/match", data=body, method="POST", headers={
        "Content-Type": node.content_type, "Accept": node.content_type, "X-Auth-Token": mme.node_token_out(node)})
    try:
        with urllib.request.urlopen(req, timeout=node.timeout_seconds) as resp:  # noqa: S310 - admin-set peer URL
            return resp.status, resp.read(MAX_RESPONSE + 1), ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000), f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # refused, timed out, DNS, malformed URL
        return None, b"", f"{type(exc).__name__}: {exc}"[:300]


def _claim(row_id: int, lease: float) -> SimilarSearchPeer | None:
    """Take a pending (or abandoned running) row with one conditional UPDATE: two workers given the same id
    cannot both send the query."""
    now = timezone.now()
    won = (SimilarSearchPeer.objects.filter(pk=row_id)
           .filter(Q(status=PeerQueryStatus.PENDING) | Q(status=PeerQueryStatus.RUNNING, claimed_until__lt=now))
           .update(status=PeerQueryStatus.RUNNING, claimed_until=now + timedelta(seconds=lease)))
    return SimilarSearchPeer.objects.select_related("node", "search").get(pk=row_id) if won else None


def similar_search_query_peer(*, row_id: int) -> str:
    """Ask one MME peer (the task's body). Idempotent: a row already answered or being asked is left alone.
    The answer is kept only if it is JSON that follows the MME response schema."""
    row = SimilarSearchPeer.objects.select_related("node").filter(pk=row_id).first()
    if row is None:
        return "missing"
    row = _claim(row_id, lease=row.node.timeout_seconds * 2 + 5)
    if row is None:
        return "skipped"
    started = time.monotonic()
    body = json.dumps({"patient": row.search.query}, ensure_ascii=False).encode()
    status, raw, error = _post(row.node, body)
    results: list[dict[str, Any]] = []
    if status == 200 and not error:
        try:
            if len(raw) > MAX_RESPONSE:
                raise ValueError("response too large")
            data = json.loads(raw)
            problems = mme_protocol.errors("response", data)
            if problems:
                error = f"answer does not follow the MME schema: {problems[0]}"[:300]
            else:
                results = data["results"][:50]
        except ValueError as exc:
            error = f"unreadable answer: {exc}"[:300]
    done = status == 200 and not error
    SimilarSearchPeer.objects.filter(pk=row.pk).update(
        status=PeerQueryStatus.DONE if done else PeerQueryStatus.FAILED, http_status=status, error=error,
        results=results, duration_ms=int((time.monotonic() - started) * 1000), finished_at=timezone.now(),
        attempts=row.attempts + 1, claimed_until=None)
    return "done" if done else "failed"


def similar_search_sweep() -> int:
    """Periodic: queue again peer queries still waiting after STALE_PENDING (their task was lost, e.g. the
    broker was down); rows a dead worker left running are re-taken by _claim once their lease ended."""
    from platform_site.tasking import enqueue

    now = timezone.now()
    stale = list(SimilarSearchPeer.objects.filter(
        Q(status=PeerQueryStatus.PENDING, search__created_at__lt=now - STALE_PENDING)
        | Q(status=PeerQueryStatus.RUNNING, claimed_until__lt=now)).values_list("pk", flat=True)[:200])
    for pk in stale:
        if not enqueue("rarecases.similar_search_peer", pk):
            similar_search_query_peer(row_id=pk)
    return len(stale)
