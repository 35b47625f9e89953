"""Helpers of the compliance tests (issue 20): a doctor qualified for online practice, citizen ID numbers."""
from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from accounts.identity import citizen_id_check_character
from accounts.models import User
from accounts.services import doctor_credential_record, identity_verify

_sequence = itertools.count(100)


def citizen_id(born: dt.date = dt.date(1980, 5, 17)) -> str:
    """A fresh valid citizen ID number (Beijing Dongcheng address code, GB 11643 check character)."""
    first17 = f"110101{born:%Y%m%d}{next(_sequence) % 1000:03d}"
    return first17 + citizen_id_check_character(first17)


def qualify_for_online(doctor: User, *, admin: User | None = None) -> User:
    """Real-name identity, the institution's consent and ten years of independent practice on record."""
    today = timezone.localdate()
    identity_verify(actor=admin or doctor, user=doctor, legal_name="测试医生", document_type="citizen_id",
                    number=citizen_id())
    doctor_credential_record(actor=admin or doctor, doctor=doctor, institution="测试医院",
                             institution_consent_at=today, independent_practice_since=today.replace(year=today.year - 10))
    return doctor
