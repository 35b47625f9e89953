"""Load a JSON list of MME patient objects (such as the MME benchmark patients) as local cases with their
submitters' contacts. Idempotent: importing the same file again changes nothing; a changed patient is
updated in place (same case). All or nothing: one invalid patient and nothing is imported.

    python manage.py rarecases_mme_import rarecases/data/mme_benchmark_patients.json
"""
from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from rarecases.services.mme import mme_import


class Command(BaseCommand):
    help = "Import MME patients (a JSON list of patient objects) as local rare cases, idempotently."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            patients = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            result = mme_import(patients=patients)
        except ApplicationError as exc:
            details = "\n  ".join(exc.extra.get("problems", []))
            raise CommandError(f"{exc.message}\n  {details}".rstrip()) from exc
        for note in result["repairs"]:
            self.stdout.write(f"repaired: {note}")
        self.stdout.write(self.style.SUCCESS(
            f"{result['created']} created, {result['updated']} updated, {result['unchanged']} unchanged"))
