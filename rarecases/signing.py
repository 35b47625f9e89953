"""HMAC request signing between peers (pure functions).

Signed string: METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n SHA256(body), HMAC-SHA256 with the pair's shared
secret, sent with the key id. The receiver rejects a stale timestamp (outside the replay window), a body
whose hash differs, a wrong signature, and a nonce it has already accepted.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER_KEY = "X-Fed-Key-Id"
HEADER_TS = "X-Fed-Timestamp"
HEADER_NONCE = "X-Fed-Nonce"
HEADER_HASH = "X-Fed-Content-SHA256"
HEADER_SIG = "X-Fed-Signature"


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _message(method: str, path: str, ts: str, nonce: str, digest: str) -> bytes:
    return "\n".join([method.upper(), path, ts, nonce, digest]).encode()


def sign(*, secret: str, key_id: str, method: str, path: str, body: bytes, now: float | None = None,
         nonce: str | None = None) -> dict[str, str]:
    ts = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_hex(16)
    digest = body_hash(body)
    sig = hmac.new(secret.encode(), _message(method, path, ts, nonce, digest), hashlib.sha256).hexdigest()
    return {HEADER_KEY: key_id, HEADER_TS: ts, HEADER_NONCE: nonce, HEADER_HASH: digest, HEADER_SIG: sig}


def verify(*, secret: str, method: str, path: str, body: bytes, headers: dict[str, str], window: int,
           now: float | None = None) -> str | None:
    """None when the request is authentic and fresh, else the reason (the nonce check is the caller's)."""
    try:
        ts = int(headers.get(HEADER_TS, ""))
    except ValueError:
        return "bad timestamp"
    now = now if now is not None else time.time()
    if abs(now - ts) > window:
        return "stale timestamp"
    digest = body_hash(body)
    if not hmac.compare_digest(digest, headers.get(HEADER_HASH, "")):
        return "body hash mismatch"
    nonce = headers.get(HEADER_NONCE, "")
    if not (8 <= len(nonce) <= 64):
        return "bad nonce"
    expected = hmac.new(secret.encode(), _message(method, path, str(ts), nonce, digest), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get(HEADER_SIG, "")):
        return "bad signature"
    return None
