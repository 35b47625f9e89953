from __future__ import annotations

import pytest

from portraits import demo
from portraits.models import Alert, ImportBatch, Record, Result, Run, Student

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    demo.seed()
    first = (Student.objects.count(), Record.objects.count(), ImportBatch.objects.count(), Run.objects.count(),
             Result.objects.count(), Alert.objects.count())
    assert first[0] == demo.DEMO_STUDENTS
    assert first[3] == 1
    demo.seed()
    assert (Student.objects.count(), Record.objects.count(), ImportBatch.objects.count(), Run.objects.count(),
            Result.objects.count(), Alert.objects.count()) == first
