"""knowledge demo data: the graph itself (the same load as `manage.py knowledge_load`)."""
from __future__ import annotations

from django.core.management import call_command


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    call_command("knowledge_load", stdout=stdout)
