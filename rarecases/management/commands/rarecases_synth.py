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
        parser.add_argument("--share", action="store_true", help="share each case as soon as it is confirmed")
        parser.add_argument("--share-after", action="store_true", help="share all cases once all exist")
        parser.add_argument("--doctor", default="doctor@fed.medplatform.test")
        parser.add_argument("--phenotypes", default="", help="HPO ids present, comma-separated (matching profile)")
        parser.add_argument("--genes", default="", help="candidate genes, comma-separated (matching profile)")
        parser.add_argument("--encounters-only", action="store_true",
                            help="only make the encounters (rare-case candidates a doctor can confirm)")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        started = time.monotonic()
        if opts["encounters_only"]:
            from accounts.models import User
            from rarecases.services.setup import synth_encounter, synth_patients

            doctor = User.objects.get(email=opts["doctor"])
            patients = synth_patients()
            ids = [synth_encounter(patient=patients[i % len(patients)], doctor=doctor, code=opts["code"]).pk
                   for i in range(opts["cases"])]
            self.stdout.write(json.dumps({"encounters": ids}))
            return
        uuids = synth_cases(n=opts["cases"], code=opts["code"], share=opts["share"],
                            share_after=opts["share_after"], doctor_email=opts["doctor"],
                            phenotype_ids=[x for x in opts["phenotypes"].split(",") if x],
                            genes=[x for x in opts["genes"].split(",") if x])
        self.stdout.write(json.dumps({"cases": uuids, "seconds": round(time.monotonic() - started, 2)}))
