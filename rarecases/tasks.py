"""Thin Celery tasks: load by id, call a service. Idempotent; the periodic sweeper is the safety net."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="rarecases.outbox_deliver")
def outbox_deliver_task(message_id: int) -> str:
    from .services.federation import outbox_deliver

    return outbox_deliver(message_id=message_id)


@shared_task(name="rarecases.outbox_deliver_peer")
def outbox_deliver_peer_task(peer_id: int) -> int:
    from .services.federation import outbox_deliver_peer

    return outbox_deliver_peer(peer_id=peer_id)


@shared_task(name="rarecases.outbox_sweep")
def outbox_sweep_task() -> int:
    from .services.federation import nonce_purge, outbox_sweep
    from .services.similar import similar_search_sweep

    nonce_purge()
    similar_search_sweep()
    return outbox_sweep()


# A peer query is bounded by the peer's own time-out (urllib, default 10 s); the task limit is a backstop.
@shared_task(name="rarecases.similar_search_peer", soft_time_limit=60, time_limit=90)
def similar_search_peer_task(row_id: int) -> str:
    from .services.similar import similar_search_query_peer

    return similar_search_query_peer(row_id=row_id)


@shared_task(name="rarecases.analyze")
def rarity_analyze_task() -> int:
    from .services.rarity import rarity_analyze

    return rarity_analyze().pk


@shared_task(name="rarecases.share")
def share_decide_task() -> dict:
    from .services.sharing import share_decide_all

    return share_decide_all()


@shared_task(name="rarecases.train")
def trend_train_task() -> int | None:
    from core.errors import ApplicationError

    from .services.trend import trend_model_train, trend_model_train_incremental

    try:
        return trend_model_train_incremental().version
    except ApplicationError:
        try:
            return trend_model_train().version
        except ApplicationError:
            return None


@shared_task(name="rarecases.refresh")
def refresh_task() -> dict:
    from .services.refresh import case_refresh_all

    return case_refresh_all()
