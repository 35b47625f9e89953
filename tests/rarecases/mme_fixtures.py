"""MME test data: the spec's benchmark patients (rarecases/data/mme_benchmark_patients.json) and peers."""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

from rarecases.models import MmeNode
from rarecases.services.mme import node_create, node_issue_token

BENCHMARK = Path(__file__).resolve().parents[2] / "rarecases" / "data" / "mme_benchmark_patients.json"
MME_V1_0 = "application/vnd.ga4gh.matchmaker.v1.0+json"
MME_V1_1 = "application/vnd.ga4gh.matchmaker.v1.1+json"


@lru_cache(maxsize=1)
def _benchmark() -> list[dict]:
    return json.loads(BENCHMARK.read_text(encoding="utf-8"))


def benchmark(*ids: str) -> list[dict]:
    """Deep copies of the benchmark patients (all of them, or those ids in that order)."""
    pts = {p["id"]: p for p in _benchmark()}
    return copy.deepcopy([pts[i] for i in ids] if ids else _benchmark())


def peer(name: str = "Peer matchmaker", **kw) -> tuple[MmeNode, str]:  # type: ignore[no-untyped-def]
    node = node_create(name=name, **kw)
    return node, node_issue_token(node=node)


def query(patient: dict, *, test: bool | None = None, genes: bool = True) -> dict:
    p = copy.deepcopy(patient)
    p["id"] = f"query-{p['id']}"
    if not genes:
        p.pop("genomicFeatures", None)
    if test is not None:
        p["test"] = test
    return {"patient": p}
