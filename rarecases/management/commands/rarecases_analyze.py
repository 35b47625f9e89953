from __future__ import annotations

from django.core.management.base import BaseCommand

from rarecases.services import rarity_analyze


class Command(BaseCommand):
    help = "Rarity analysis over encounter diagnoses (S300-S360): rare codes and case candidates."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--rate", type=float, help="incidence threshold (default: the admin setting, 5/10,000)")
        parser.add_argument("--window-days", type=int)

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        run = rarity_analyze(rate=opts["rate"], window_days=opts["window_days"])
        self.stdout.write(f"patients seen: {run.total_patients}; codes: {run.codes_seen}; rare codes: "
                          f"{run.rare_codes}; candidates: {run.candidates} (rate {run.params['rate']:.6g})")
        for rc in run.codes.all()[:50]:
            orpha = ", ".join(o["id"] for o in rc.orpha)
            self.stdout.write(f"  {rc.code:<8} {rc.patients:>5} patients  {rc.incidence:.6f}  {rc.block} {orpha}")
