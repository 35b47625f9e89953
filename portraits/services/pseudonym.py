"""Keyed pseudonyms: HMAC-SHA256(settings.PSEUDONYM_KEY, student number). The number itself is never stored."""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def pseudonym(student_no: str) -> str:
    key = settings.PSEUDONYM_KEY.encode()
    return hmac.new(key, str(student_no).strip().encode(), hashlib.sha256).hexdigest()
