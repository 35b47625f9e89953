from __future__ import annotations

from django.core.management.base import BaseCommand

from rarecases.services import outbox_sweep, share_decide_all


class Command(BaseCommand):
    help = "Sharing decision for unshared local cases (S800-S840), then deliver due outbox rows (S900-S1000)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--no-deliver", action="store_true", help="only decide and queue")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        counts = share_decide_all()
        self.stdout.write("decisions: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        if not opts["no_deliver"]:
            self.stdout.write(f"delivered/attempted now: {outbox_sweep(inline=True)}")
