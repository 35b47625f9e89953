"""Load demo data for every app, idempotently: running it twice changes nothing."""
from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load synthetic demo data for every app (idempotent)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        # Dependencies first: the drug catalogue is needed by consult's prescriptions, which pharmacy's
        # orders in turn need.
        for name in settings.DEMO_SEED_MODULES:
            module = import_module(name)
            with transaction.atomic():
                module.seed(self.stdout)
            self.stdout.write(f"demo data: {name} ok")
