from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from rarecases.services.setup import instance_setup


class Command(BaseCommand):
    help = ("Configure this instance for a federation from a JSON spec (profile, peers with shared secrets, a doctor "
            "and an admin with API tokens). Used by `make federation`, the federation tests and the benchmark.")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("spec", help="JSON text, or @path to a JSON file")
        parser.add_argument("--migrate", action="store_true", help="apply migrations first (one process start)")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        if opts["migrate"]:
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
        raw = opts["spec"]
        if raw.startswith("@"):
            with open(raw[1:], encoding="utf-8") as fh:
                raw = fh.read()
        self.stdout.write(json.dumps(instance_setup(spec=json.loads(raw))))
