"""`make federation` planning: one database and one broker queue per instance, never shared."""
from __future__ import annotations

from pathlib import Path

from rarecases import federation_launch as F


def test_plan_with_postgres_and_redis_gives_each_instance_its_own_database_and_redis_db(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("RARECASES_FED_REDIS_DBS", raising=False)
    insts = F.plan(base_port=8001, root=Path("/tmp/x"), database_url="postgres://postgres@127.0.0.1:5433/medci",
                   broker_url="redis://127.0.0.1:6390/0")
    assert [i.port for i in insts] == [8001, 8002, 8003]
    assert [i.database_url for i in insts] == [f"postgres://postgres@127.0.0.1:5433/medci_fed_{k}" for k in "abc"]
    assert [i.broker_url for i in insts] == [f"redis://127.0.0.1:6390/{n}" for n in (6, 7, 8)]
    env = insts[1].env()
    assert (env["RARECASES_INSTANCE_ID"], env["DATABASE_URL"]) == ("platform-b", insts[1].database_url)
    assert len({i.fernet_key for i in insts}) == 3


def test_plan_defaults_to_sqlite_files_and_filesystem_queues() -> None:
    insts = F.plan(base_port=9001, root=Path("/tmp/y"), database_url="", broker_url="")
    assert insts[0].database_url == "sqlite:////tmp/y/platform-a/db.sqlite3?transaction_mode=IMMEDIATE"
    assert {i.broker_url for i in insts} == {"filesystem://"}
    assert insts[2].env()["CELERY_FS_DIR"] == "/tmp/y/platform-c/celery"


def test_spec_exchanges_one_key_per_pair(tmp_path) -> None:  # type: ignore[no-untyped-def]
    insts = F.plan(base_port=9001, root=tmp_path, database_url="", broker_url="")
    for i in insts:
        i.root.mkdir(parents=True)
    a, b, c = (F.spec_for(i, insts) for i in insts)
    a_to_b = next(p for p in a["peers"] if p["instance_id"] == "platform-b")
    b_to_a = next(p for p in b["peers"] if p["instance_id"] == "platform-a")
    assert (a_to_b["key_id"], a_to_b["secret"]) == (b_to_a["key_id"], b_to_a["secret"])
    assert len({p["secret"] for s in (a, b, c) for p in s["peers"]}) == 3
    assert next(p for p in a["peers"] if p["instance_id"] == "platform-c")["tags"] == ["chapter:E", "chapter:C"]
