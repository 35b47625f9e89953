"""The sharing decision (S800–S840) and queueing to related peers (S900–S1000) through the outbox."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.errors import ApplicationError

from ..models import Case, CaseEvent, EventKind, OutboxMessage, Peer, ShareDecision
from ..selectors import active_models, peers_related, settings_get
from .federation import case_payload, outbox_enqueue, platform_profile
from .trend import case_matrices, predict

SHARED = (ShareDecision.Outcome.FIRST, ShareDecision.Outcome.SECOND, ShareDecision.Outcome.MANUAL)


def decide(*, first: float | None, second: float | None, threshold: float) -> str:
    """S800: first prediction passes → share; S810–S830: otherwise the second (incrementally learned)
    model's prediction is checked → share; else hold (S810's return instruction)."""
    if first is not None and first >= threshold:
        return ShareDecision.Outcome.FIRST
    if second is not None and second >= threshold:
        return ShareDecision.Outcome.SECOND
    return ShareDecision.Outcome.HELD


def _queue(case: Case, peers: list[Peer]) -> list[str]:
    """Outbox rows (and the propagation edges) for each peer; runs inside the decision's transaction."""
    me = platform_profile().instance_id
    payload = case_payload(case)
    sent = []
    for peer in peers:
        if outbox_enqueue(peer=peer, kind=OutboxMessage.Kind.CASE, payload=payload, case=case) is not None:
            sent.append(peer.instance_id)
            if case.received_from_id is None:
                CaseEvent.objects.create(case=case, kind=EventKind.SHARE_PEER, source_node=me,
                                         target_node=peer.instance_id, depth=1, peer=peer)
    return sent


@transaction.atomic
def rare_case_share(*, case: Case, by: User | None = None, peers: list[Peer] | None = None) -> ShareDecision:
    """A doctor shares a case now (or forwards a received case onward): the decision row and the outbox
    rows are written in one transaction, so a crash can never leave a decision without its messages.
    Raises ApplicationError for an imported MME patient (someone else's patient: matched, never forwarded)."""
    if case.provenance.get("mme_import"):
        raise ApplicationError(_("Imported Matchmaker Exchange patients are not shared with peer platforms."))
    peers = peers_related(case) if peers is None else [p for p in peers if p.instance_id != case.origin]
    sent = _queue(case, peers)
    if case.received_from_id is not None and by is not None:
        from .cases import case_event_record

        for target in sent:
            case_event_record(case=case, kind=EventKind.SHARE_PEER, actor=by, target_node=target)
    return ShareDecision.objects.create(
        case=case, threshold=settings_get().prediction_threshold, decided_by=by, peers=sent,
        outcome=ShareDecision.Outcome.MANUAL if peers else ShareDecision.Outcome.NO_PEERS)


def share_decide_all(*, now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """Periodic S700–S1000 over the local current cases not shared yet. Returns counts per outcome."""
    now = now or timezone.now()
    threshold = settings_get().prediction_threshold
    first_model, second_model = active_models()
    shared_ids = ShareDecision.objects.filter(outcome__in=SHARED).values("case_id")
    cases = (Case.objects.current().local().exclude(pk__in=shared_ids).exclude(match_profile__source="imported")
             .order_by("pk")[:limit])
    counts = {o: 0 for o in ShareDecision.Outcome.values}
    if first_model is None or not cases:
        return counts
    matrices = case_matrices(cases=Case.objects.filter(pk__in=[c.pk for c in cases]), now=now,
                             n_periods=first_model.params.get("n_periods", 12))
    first = predict(model=first_model, matrices=matrices)
    second = predict(model=second_model, matrices=matrices) if second_model else {}
    for case in cases:
        outcome = decide(first=first.get(case.pk), second=second.get(case.pk), threshold=threshold)
        with transaction.atomic():
            peers = peers_related(case) if outcome != ShareDecision.Outcome.HELD else []
            sent = _queue(case, peers) if peers else []
            if outcome != ShareDecision.Outcome.HELD and not peers:
                outcome = ShareDecision.Outcome.NO_PEERS
            ShareDecision.objects.update_or_create(
                case=case, outcome__in=[ShareDecision.Outcome.HELD, ShareDecision.Outcome.NO_PEERS],
                defaults={"decided_at": now, "first_index": first.get(case.pk), "second_index": second.get(case.pk),
                          "threshold": threshold, "outcome": outcome, "first_model": first_model,
                          "second_model": second_model, "peers": sent})
        counts[outcome] += 1
    return counts
