"""portraits demo data: a small synthetic cohort imported and one run done (synthetic, idempotent, fast).

The files are generated deterministically (fixed seed), so a second seed re-imports byte-identical files,
which the importer recognises by hash; the run is only made when no finished run exists.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

DEMO_STUDENTS = 120
DEMO_RECORDS = 80_000
DEMO_SEED = 11


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    from .models import Run, RunStatus
    from .services import campus_import_paths, portrait_run_execute, portrait_run_start
    from .synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), students=DEMO_STUDENTS, records=DEMO_RECORDS, seed=DEMO_SEED,
                 grades=["2023", "2024"])
        report = campus_import_paths([Path(tmp)])
    if not report.ok:  # pragma: no cover - the generator writes valid files
        raise RuntimeError(f"portraits demo import failed: {report.errors[:3]}")
    if stdout:
        stdout.write(f"portraits: {report.records_stored} demo records imported "
                     f"({sum(f.status == 'already_imported' for f in report.files)} files already there)\n")
    if not Run.objects.filter(status=RunStatus.DONE, kind="students").exists():
        run = portrait_run_start(user=None, period="2023", k=5, enqueue=False)
        run = portrait_run_execute(run_id=run.id)
        if stdout:
            stdout.write(f"portraits: demo run #{run.id} {run.status}\n")
