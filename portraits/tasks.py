"""Celery tasks of portraits: thin, take ids, call a service. BLAS/OpenMP threads are capped per worker
process by platform_site.celery and again inside the pipeline (params.threads)."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="portraits.run")
def portrait_run_task(run_id: int) -> None:
    from .services.runs import portrait_run_execute

    portrait_run_execute(run_id=run_id)


@shared_task(name="portraits.runs_sweep")
def portrait_runs_sweep_task() -> int:
    from .services.runs import runs_sweep

    return runs_sweep()


@shared_task(name="portraits.patients_weekly")
def portrait_patients_weekly_task() -> int:
    """Weekly: a new patient-portraits run over the consenting patients (queued as a normal run)."""
    from .models import RunKind
    from .services import portrait_run_start

    return portrait_run_start(user=None, period="all", kind=RunKind.PATIENTS).pk
