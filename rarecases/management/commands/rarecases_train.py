from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from rarecases.services import trend_model_train, trend_model_train_incremental


class Command(BaseCommand):
    help = ("Train the access-trend model to convergence (S600-S700), or with --incremental learn the cases whose "
            "propagation index passes the preset (S540-S544). Prints the metrics.")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--incremental", action="store_true")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        try:
            if opts["incremental"]:
                model = trend_model_train_incremental(seed=opts["seed"])
            else:
                model = trend_model_train(seed=opts["seed"])
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"model v{model.version} ({model.kind}), period {model.period_hours:.2f} h")
        self.stdout.write(json.dumps(model.metrics, indent=2))
