from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from knowledge.services import knowledge_load


class Command(BaseCommand):
    help = "Load the knowledge graph (Disease Ontology, Symptom Ontology, ICD-10 → departments); idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        counts = knowledge_load()
        took = time.perf_counter() - started
        self.stdout.write(f"knowledge: {sum(v for k, v in counts.items() if k.startswith('nodes.'))} nodes, "
                          f"{sum(v for k, v in counts.items() if k.startswith('edges.'))} edges in {took:.1f} s")
