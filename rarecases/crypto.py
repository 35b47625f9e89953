"""Peer secrets at rest: MultiFernet with keys from the environment, rotatable.

RARECASES_PEER_KEYS (a setting read from the environment): comma-separated Fernet keys, newest first. Encrypt uses the
first; decrypt tries all, so adding a new key in front and running `manage.py rarecases_rotate_keys`
re-encrypts every secret under it, after which the old key can be dropped. Without the variable (local
development and tests only) a key is derived from SECRET_KEY; production sets it explicitly.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _keys() -> list[bytes]:
    raw = settings.RARECASES_PEER_KEYS
    keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
    if not keys:
        keys = [base64.urlsafe_b64encode(hashlib.sha256(f"rarecases-peer:{settings.SECRET_KEY}".encode()).digest())]
    return keys


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _keys()])


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()
