"""`make federation`: three platform instances on one machine (ports 8001-8003), each with its own database,
its own Celery worker (with embedded beat) and broker queue, keys exchanged, demo data — so a person can
watch a case travel. The federation tests and bench/federation.py use the same functions on other ports.

Databases: SQLite files under var/federation/<id>/ by default; with DATABASE_URL=postgres://… one database
per instance on that server (<db>_fed_<id>, re-created from a migrated template). Brokers: kombu's filesystem
transport per instance by default; with CELERY_BROKER_URL=redis://… one Redis db number per instance
(RARECASES_FED_REDIS_DBS, default 6,7,8 — never the main app's db).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from platform_site.launch import stop_requested

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent

# Which ICD-10 areas each demo instance cares about: a case of chapter E goes to B and C; chapter G only to B.
DEFAULT_TAGS = {
    "a": ["chapter:E", "chapter:G", "block:E70-E90"],
    "b": ["chapter:E", "chapter:G", "block:E70-E90"],
    "c": ["chapter:E", "chapter:C"],
}
NAMES = {"a": "Platform A (Hangzhou)", "b": "Platform B (Chengdu)", "c": "Platform C (Guangzhou)"}
REGIONS = {"a": "Zhejiang", "b": "Sichuan", "c": "Guangdong"}


@dataclass
class Instance:
    key: str
    port: int
    root: Path
    database_url: str
    broker_url: str
    fernet_key: str
    tags: list[str]
    web: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    tokens: dict = field(default_factory=dict)

    @property
    def instance_id(self) -> str:
        return f"platform-{self.key}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "RARECASES_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "platform_site.settings.local",
            "DEBUG": "true",
            "SECRET_KEY": f"federation-demo-{self.key}-not-for-production-0123456789abcdefghijklmnop",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_FS_DIR": str(self.root / "celery"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "REDIS_URL": "",
            "REQUIRE_STAFF_MFA": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PRIVATE_MEDIA_ROOT": str(self.root / "private"),
            "RARECASES_INSTANCE_ID": self.instance_id,
            "RARECASES_PEER_KEYS": self.fernet_key,
            "RARECASES_SWEEP_SECONDS": os.environ.get("RARECASES_SWEEP_SECONDS", "2"),
            "RARECASES_BACKOFF_BASE": os.environ.get("RARECASES_BACKOFF_BASE", "1"),
            "RARECASES_BACKOFF_MAX": os.environ.get("RARECASES_BACKOFF_MAX", "5"),
            "RARECASES_HTTP_TIMEOUT": "5",
            "WORKER_NATIVE_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(extra or {})
        return env


def free_base_port(n: int = 3, start: int = 18201, tries: int = 200) -> int:
    """The first port p ≥ start with p … p+n−1 all free on loopback (several test runs may share a machine)."""
    import socket

    for base in range(start, start + tries * n, n):
        socks = []
        try:
            for port in range(base, base + n):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {n} consecutive free ports from {start}")


def _fernet_key(seed: str) -> str:
    import base64
    import hashlib

    # Deterministic per root and instance so a restart can still read the stored secrets.
    return base64.urlsafe_b64encode(hashlib.sha256(f"fed-demo-key:{seed}".encode()).digest()).decode()


def plan(*, n: int = 3, base_port: int = 8001, root: Path | None = None, database_url: str | None = None,
         broker_url: str | None = None, tags: dict[str, list[str]] | None = None,
         db_suffix: str = "fed") -> list[Instance]:
    root = root or BASE_DIR / "var" / "federation"
    database_url = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
    broker_url = broker_url if broker_url is not None else os.environ.get("CELERY_BROKER_URL", "")
    redis_dbs = [int(x) for x in os.environ.get("RARECASES_FED_REDIS_DBS", "6,7,8,9").split(",")]
    tags = tags or DEFAULT_TAGS
    out = []
    for i, key in enumerate("abcdefgh"[:n]):
        iroot = root / f"platform-{key}"
        if database_url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(database_url)
            base = parts.path.lstrip("/") or "medplatform"
            db = urlunsplit(parts._replace(path=f"/{base}_{db_suffix}_{key}"))
        else:
            # IMMEDIATE: a transaction takes SQLite's write lock when it begins (waiting up to the timeout)
            # instead of failing with "database is locked" when it later upgrades a read lock.
            db = f"sqlite:///{iroot / 'db.sqlite3'}?transaction_mode=IMMEDIATE"
        if broker_url.startswith(("redis://", "rediss://")):
            parts = urlsplit(broker_url)
            broker = urlunsplit(parts._replace(path=f"/{redis_dbs[i]}"))
        else:
            broker = "filesystem://"
        out.append(Instance(key=key, port=base_port + i, root=iroot, database_url=db, broker_url=broker,
                            fernet_key=_fernet_key(f"{root}:{key}"), tags=tags.get(key, ["all"])))
    return out


def _run(args: list[str], inst: Instance, **kw) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], env=inst.env(), cwd=BASE_DIR, check=True,
                          capture_output=True, text=True, **kw)


def _pg_admin(inst: Instance):  # type: ignore[no-untyped-def]
    import psycopg

    parts = urlsplit(inst.database_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin_url, autocommit=True), parts.path.lstrip("/")


def create_databases(instances: list[Instance]) -> None:
    """Fresh databases: migrate and set up the first one (users, API tokens, synthetic patients) in one
    process, then copy it (SQLite file copy / PostgreSQL TEMPLATE) — one Django start instead of six.
    Each instance gets its own identity, peers and keys afterwards through configure()."""
    for inst in instances:
        if inst.root.exists():
            shutil.rmtree(inst.root)
        (inst.root / "celery").mkdir(parents=True)
        (inst.root / "private").mkdir()
    first = instances[0]
    setup = ["rarecases_instance_setup", "--migrate", json.dumps({"settings": {"rare_rate": 0.05}})]
    if first.is_postgres:
        conn, first_db = _pg_admin(first)
        with conn:
            for inst in instances:
                name = urlsplit(inst.database_url).path.lstrip("/")
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{first_db}"')
        out = _run(setup, first).stdout
        conn, first_db = _pg_admin(first)
        with conn:
            for inst in instances[1:]:
                name = urlsplit(inst.database_url).path.lstrip("/")
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{first_db}"')
    else:
        out = _run(setup, first).stdout
        for inst in instances[1:]:
            shutil.copyfile(first.root / "db.sqlite3", inst.root / "db.sqlite3")  # migrated + set up
    tokens = json.loads(out.strip().splitlines()[-1])
    for inst in instances:
        inst.tokens = dict(tokens)


def drop_databases(instances: list[Instance]) -> None:
    if instances and instances[0].is_postgres:
        conn, _db = _pg_admin(instances[0])
        with conn:
            for inst in instances:
                name = urlsplit(inst.database_url).path.lstrip("/")
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pair_key(a: Instance, b: Instance) -> tuple[str, str]:
    """(key id, shared secret) of a pair: the same on both sides, unique per pair and per run."""
    x, y = sorted([a.key, b.key])
    secret_file = a.root.parent / f"secret-{x}-{y}"
    if not secret_file.exists():
        import secrets

        secret_file.write_text(secrets.token_urlsafe(32))
    return f"fed-{x}-{y}", secret_file.read_text()


def mme_token(src: Instance, dst: Instance) -> str:
    """The MME token `src` sends to `dst` (X-Auth-Token): one per ordered pair and per run, 40 hex characters
    as join-protocol.md recommends."""
    token_file = src.root.parent / f"mme-token-{src.key}-{dst.key}"
    if not token_file.exists():
        import secrets

        token_file.write_text(secrets.token_hex(20))
    return token_file.read_text()


def spec_for(inst: Instance, instances: list[Instance], settings: dict | None = None) -> dict:
    peers, mme_nodes = [], []
    for other in instances:
        if other is inst:
            continue
        key_id, secret = pair_key(inst, other)
        peers.append({"name": NAMES.get(other.key, other.instance_id), "instance_id": other.instance_id,
                      "url": other.url, "key_id": key_id, "secret": secret, "tags": other.tags})
        mme_nodes.append({"name": NAMES.get(other.key, other.instance_id), "base_url": f"{other.url}/mme",
                          "token_out": mme_token(inst, other), "token_in": mme_token(other, inst)})
    return {"instance_id": inst.instance_id, "name": NAMES.get(inst.key, inst.instance_id),
            "region": REGIONS.get(inst.key, ""), "base_url": inst.url, "feature_tags": inst.tags,
            "specialties": ["genetics", "neurology"] if inst.key != "c" else ["oncology", "metabolic disease"],
            "data_categories": ["encounter_diagnoses", "rare_cases"], "peers": peers, "mme_nodes": mme_nodes,
            "settings": settings or {"rare_rate": 0.05}}


def configure(instances: list[Instance], *, settings: dict | None = None) -> None:
    """Each running instance gets its identity, thresholds, peers and pair keys (admin API, loopback)."""
    for inst in instances:
        body = json.dumps(spec_for(inst, instances, settings)).encode()
        req = urllib.request.Request(f"{inst.url}/api/rarecases/setup/", data=body, method="POST", headers={
            "Authorization": f"Token {inst.tokens['admin_token']}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
            json.loads(resp.read())


def seed_demo(instances: list[Instance]) -> None:
    """The platform's demo data on every instance (in parallel), after configure() gave each its identity."""
    procs = [(inst, subprocess.Popen([PYTHON, str(BASE_DIR / "manage.py"), "seed_demo"], env=inst.env(),
                                     cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
             for inst in instances]
    for inst, proc in procs:
        _out, err = proc.communicate(timeout=900)
        if proc.returncode:
            print(f"warning: seed_demo on {inst.instance_id} failed: {err[-500:]}", file=sys.stderr)


def start_web(inst: Instance, *, workers: int = 1, threads: int = 4, log: bool = False) -> None:
    out = open(inst.root / "web.log", "ab")  # noqa: SIM115 - kept open for the child's lifetime
    inst.web = subprocess.Popen(
        [str(BIN / "gunicorn"), "platform_site.wsgi:application", "--bind", f"127.0.0.1:{inst.port}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning",
         *(["--access-logfile", "-"] if log else [])],
        env=inst.env(), cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT)


def start_worker(inst: Instance, *, concurrency: int = 4) -> None:
    out = open(inst.root / "worker.log", "ab")  # noqa: SIM115
    inst.worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "platform_site", "worker", "-B", "--pool", "threads",
         "--concurrency", str(concurrency), "--loglevel", "WARNING", "--schedule", str(inst.root / "beat-schedule"),
         "--hostname", f"{inst.instance_id}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=inst.env(), cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT)


def keep_workers_alive(instances: list[Instance], stop: threading.Event, *, concurrency: int = 4) -> threading.Thread:
    """Restart a Celery worker that exited. kombu's filesystem transport can crash a consumer that reads a
    message file while another process is still writing it ("Unrecoverable error: JSONDecodeError", seen
    under load); nothing is lost because every delivery is an outbox row the sweeper picks up again."""
    def watch() -> None:
        while not stop.wait(1.0):
            for inst in instances:
                if inst.worker is not None and inst.worker.poll() is not None:
                    print(f"{inst.instance_id}: worker exited ({inst.worker.returncode}); restarting", file=sys.stderr)
                    start_worker(inst, concurrency=concurrency)

    thread = threading.Thread(target=watch, name="federation-keepalive", daemon=True)
    thread.start()
    return thread


def wait_ready(inst: Instance, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if inst.web is not None and inst.web.poll() is not None:
            raise RuntimeError(f"{inst.instance_id} web server exited; see {inst.root / 'web.log'}")
        try:
            with urllib.request.urlopen(f"{inst.url}/federation/profile/", timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{inst.instance_id} did not answer within {timeout} s")


def _stop(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def stop_web(inst: Instance) -> None:
    _stop(inst.web)
    inst.web = None


def stop_all(instances: list[Instance], keepalive: threading.Event | None = None) -> None:
    if keepalive is not None:
        keepalive.set()
    for inst in instances:
        _stop(inst.web)
        _stop(inst.worker)
        inst.web = inst.worker = None


def main() -> int:
    base_port = int(os.environ.get("FEDERATION_BASE_PORT", "8001"))
    instances = plan(base_port=base_port)
    print("Preparing three instances (fresh databases, keys, demo data)…", flush=True)
    create_databases(instances)
    for inst in instances:
        start_web(inst, workers=2)
        start_worker(inst)
    stopping = stop_requested()
    keepalive = threading.Event()
    try:
        keep_workers_alive(instances, keepalive)
        for inst in instances:
            wait_ready(inst)
        configure(instances)
        seed_demo(instances)
        print("\n  Three federated MedPlatform instances (Ctrl-C stops everything):")
        for inst in instances:
            print(f"    {inst.instance_id}: {inst.url}/   tags {', '.join(inst.tags)}   db {inst.database_url}")
        print("  Log in on any of them as doctor@fed.medplatform.test or admin@fed.medplatform.test, or with the")
        print("  platform demo log-ins (doctor@demo.medplatform.test …); password demo-pass-2026.")
        print(f"  Watch a case travel: log in on A ({instances[0].url}/rarecases/candidates/) as doctor@demo.medplatform.test,")
        print("  confirm the E75.2 candidate, press “Share with related peer platforms”: it appears on B and C within")
        print("  seconds (chapter E); a chapter-G case goes to B only. Cite it on B and A's propagation index grows.\n",
              flush=True)
        while not stopping.is_set() and all(i.web.poll() is None for i in instances if i.web):
            time.sleep(0.5)
    finally:
        stop_all(instances, keepalive)
    return 0 if stopping.is_set() else 1


if __name__ == "__main__":
    sys.exit(main())
