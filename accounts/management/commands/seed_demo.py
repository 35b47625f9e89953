"""Load demo data for every app, idempotently: running it twice changes nothing."""
from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load synthetic demo data for every app (idempotent)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        # Each app that has a `demo` module contributes, in INSTALLED_APPS order (dependencies first).
        for config in apps.get_app_configs():
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
            self.stdout.write(f"demo data: {config.label} ok")
