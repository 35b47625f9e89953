"""Demo data of the records side: every reminder state, idempotent, and nothing drug-related without a catalogue."""
from __future__ import annotations

import pytest

from records import demo as demo_records
from records.models import Allergy, DoseReminder, Observation, Prescription, PrescriptionItem, ReminderPlan

pytestmark = pytest.mark.django_db(transaction=True)


def _counts() -> tuple[int, ...]:
    return (Allergy.objects.count(), Observation.objects.count(), Prescription.objects.count(),
            PrescriptionItem.objects.count(), DoseReminder.objects.count())


def test_seed_with_catalogue_has_every_state_and_is_idempotent():
    from accounts import demo as accounts_demo
    from pharmacy import demo_catalogue

    accounts_demo.seed()
    demo_catalogue.seed()
    demo_records.seed()
    first = _counts()
    demo_records.seed()
    assert _counts() == first
    assert first[1] > 300  # six months of measurements
    assert set(DoseReminder.objects.values_list("status", flat=True)) == {"scheduled", "sent", "taken", "skipped", "missed"}
    assert ReminderPlan.objects.filter(is_paused=True).count() == 1
    assert PrescriptionItem.objects.exclude(allergy_override_reason="").count() == 1
    assert Observation.objects.filter(is_out_of_range=True).exists()


def test_seed_without_catalogue_creates_nothing_that_needs_a_drug():
    from accounts import demo as accounts_demo

    accounts_demo.seed()
    demo_records.seed()
    assert Prescription.objects.count() == 0
    assert DoseReminder.objects.count() == 0
    assert Allergy.objects.count() == 3
