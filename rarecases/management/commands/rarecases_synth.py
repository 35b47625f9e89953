from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand

from rarecases.services.setup import synth_cases


class Command(BaseCommand):
    help = ("Synthetic rare cases for demos, federation tests and the benchmark: encounters of synthetic consenting "
            "patients, confirmed by the doctor, optionally shared at once (a doctor's share decision).")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--cases", type=int, default=10)
        parser.add_argument("--code", default="E70.0")
        parser.add_argument("--share", action="store_true")
        parser.add_argument("--doctor", default="doctor@fed.medplatform.test")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        started = time.monotonic()
        uuids = synth_cases(n=opts["cases"], code=opts["code"], share=opts["share"], doctor_email=opts["doctor"])
        self.stdout.write(json.dumps({"cases": uuids, "seconds": round(time.monotonic() - started, 2)}))
