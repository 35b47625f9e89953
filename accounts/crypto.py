"""Secrets and sensitive personal data at rest (PIPL): identity document numbers, phone numbers, doctors'
signing keys are stored encrypted.

DATA_ENCRYPTION_KEYS (a setting read from the environment): comma-separated Fernet keys, newest first. Each
purpose ("personal", "signing-key", …) encrypts under its own key derived from each configured key
(HMAC-SHA256(key, purpose)), so one leaked purpose key opens nothing else. Encrypt uses the first key, decrypt
tries all (MultiFernet): a new key goes in front and `rotate()` re-encrypts. Without the variable (local
development and tests) a key is derived from SECRET_KEY; production requires it.

Encrypted values cannot be searched. Where the platform must find a number (one citizen ID, one account), it
stores a keyed digest beside it (HMAC-SHA256 keyed by DATA_DIGEST_KEY), never the number. The digest key is
separate from the encryption keys: those rotate, a digest must not change.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

PERSONAL = "personal"
SIGNING_KEY = "signing-key"
TOKEN_PREFIX = "gAAAAA"  # every Fernet token (version byte 0x80 + timestamp) starts so in base64


def _keys() -> list[bytes]:
    raw = getattr(settings, "DATA_ENCRYPTION_KEYS", "") or ""
    keys = [base64.urlsafe_b64decode(k.strip()) for k in raw.split(",") if k.strip()]
    if not keys:
        keys = [hashlib.sha256(f"data-encryption:{settings.SECRET_KEY}".encode()).digest()]
    return keys


def _fernet(purpose: str) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(hmac.new(k, purpose.encode(), hashlib.sha256).digest()))
                        for k in _keys()])


def encrypt(value: str, *, purpose: str = PERSONAL) -> str:
    return _fernet(purpose).encrypt(value.encode()).decode()


def decrypt(token: str, *, purpose: str = PERSONAL) -> str:
    return _fernet(purpose).decrypt(token.encode()).decode()


def rotate(token: str, *, purpose: str = PERSONAL) -> str:
    return _fernet(purpose).rotate(token.encode()).decode()


def digest(value: str, *, purpose: str) -> str:
    """A keyed, deterministic digest for finding a value without storing it."""
    secret = getattr(settings, "DATA_DIGEST_KEY", "") or f"data-digest:{settings.SECRET_KEY}"
    key = hashlib.sha256(secret.encode()).digest()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
