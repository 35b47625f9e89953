"""Train the doctor-recommendation model now (the nightly task does the same)."""
from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Train the doctor-recommendation model (TruncatedSVD on implicit feedback) and store each patient's top doctors."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--top", type=int, default=20, help="doctors kept per patient (default 20)")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        from consult.services.recommend_model import recommender_train

        run = recommender_train(top_n=opts["top"])
        self.stdout.write(f"trained on {run.interactions} interactions ({run.patients} patients × {run.doctors} "
                          f"doctors, {run.components} components) in {run.seconds:.2f} s; "
                          f"{run.affinities.count()} recommendations stored")
