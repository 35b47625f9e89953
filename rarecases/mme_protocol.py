"""Matchmaker Exchange wire protocol (ga4gh/mme-apis v1.1): the JSON schema and media-type negotiation.
No database, no Django views: the views and services use these."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SUPPORTED_VERSIONS = ("1.0", "1.1")
LATEST = SUPPORTED_VERSIONS[-1]
MEDIA_RE = re.compile(r"^application/vnd\.ga4gh\.matchmaker(?:\.v(\d+)\.(\d+))?\+json$")
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "mme_schema.json"


def media_type(version: str) -> str:
    return f"application/vnd.ga4gh.matchmaker.v{version}+json"


ACCEPT = [media_type(v) for v in SUPPORTED_VERSIONS]


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def _validator(kind: str):  # type: ignore[no-untyped-def]
    from jsonschema import Draft7Validator

    full = schema()
    return Draft7Validator({**full, "$ref": f"#/definitions/{kind}"})


def errors(kind: str, obj: Any, limit: int = 5) -> list[str]:
    """Schema errors of `obj` as one of request / response / patient / heartbeat / metrics ([] when valid),
    each "path: message", shortest path first."""
    found = sorted(_validator(kind).iter_errors(obj), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    out = []
    for e in found[:limit]:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"{where}: {e.message[:200]}")
    return out


@dataclass(frozen=True)
class Negotiated:
    version: str = ""
    status: int = 200
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


def _parse(value: str) -> tuple[str, tuple[int, int] | None] | None:
    """"application/vnd.ga4gh.matchmaker.v1.0+json; charset=utf-8" → (base type, (1, 0)); unversioned
    matchmaker type → (base, None); anything else → (base, None) with the base type for the caller."""
    base = value.split(";", 1)[0].strip().lower()
    m = MEDIA_RE.match(base)
    if m and m.group(1) is not None:
        return base, (int(m.group(1)), int(m.group(2)))
    return base, None


def _supported(ver: tuple[int, int]) -> str | None:
    """The version we answer a request of `ver` with: the same major version (minor versions are
    cross-compatible, search-api.md "Versioning"), the requested minor if we have it, else our latest."""
    same_major = [v for v in SUPPORTED_VERSIONS if int(v.split(".")[0]) == ver[0]]
    if not same_major:
        return None
    exact = f"{ver[0]}.{ver[1]}"
    return exact if exact in same_major else same_major[-1]


def negotiate(content_type: str, accept: str = "") -> Negotiated:
    """Check a /match request's Content-Type and Accept headers. 415 for a missing or non-JSON type, 406 for a
    matchmaker version we do not speak (in either header); otherwise the version to answer with."""
    ctype = _parse(content_type or "")
    if ctype is None or not ctype[0]:
        return Negotiated(status=415, message="missing Content-Type: use application/vnd.ga4gh.matchmaker.v1.1+json")
    base, ver = ctype
    if ver is not None:
        version = _supported(ver)
        if version is None:
            return Negotiated(status=406, message="unsupported API version")
    elif base == "application/json" or MEDIA_RE.match(base):
        version = LATEST
    else:
        return Negotiated(status=415, message=f"unsupported Content-Type {base[:80]}")
    offered = [a.strip() for a in (accept or "").split(",") if a.strip()]
    versions = [p[1] for p in (_parse(a) for a in offered) if p and p[1] is not None]
    if versions and not any(p[0] in ("*/*", "application/*", "application/json") or MEDIA_RE.match(p[0])
                            and p[1] is None for p in (_parse(a) for a in offered) if p):
        accepted = [v for v in (_supported(x) for x in versions) if v]
        if not accepted:
            return Negotiated(status=406, message="unsupported API version")
        version = accepted[0] if version not in accepted else version
    return Negotiated(version=version)
