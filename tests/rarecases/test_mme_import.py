"""`manage.py rarecases_mme_import`: the 50 benchmark patients become local (test) cases with their submitters'
contacts; a second import changes nothing; a changed patient updates the same case; one invalid patient and
nothing is imported."""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from rarecases.models import Case, MatchProfile
from rarecases.services.mme import mme_import, patient_for
from rarecases.services.sharing import rare_case_share

from .mme_fixtures import BENCHMARK, benchmark

pytestmark = pytest.mark.django_db


def test_import_the_benchmark_twice_is_idempotent(capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("rarecases_mme_import", str(BENCHMARK))
    out = capsys.readouterr().out
    assert "50 created, 0 updated, 0 unchanged" in out
    assert out.count("repaired:") == 2  # two benchmark variants lack the `start` the spec requires
    snapshot = sorted(MatchProfile.objects.values_list("case_id", "external_id", "updated_at"))
    cases = sorted(Case.objects.values_list("pk", "case_uuid", "title", "search_tokens"))
    call_command("rarecases_mme_import", str(BENCHMARK))
    assert "0 created, 0 updated, 50 unchanged" in capsys.readouterr().out
    assert sorted(MatchProfile.objects.values_list("case_id", "external_id", "updated_at")) == snapshot
    assert sorted(Case.objects.values_list("pk", "case_uuid", "title", "search_tokens")) == cases


def test_an_imported_patient_keeps_its_id_contact_and_features() -> None:
    mme_import(patients=benchmark())
    original = benchmark("P0000079")[0]
    mp = MatchProfile.objects.select_related("case").get(external_id="P0000079")
    assert (mp.source, mp.is_test, mp.case.received_from_id, mp.case.confirmed_by_id) == ("imported", True, None, None)
    patient = patient_for(mp)
    assert patient["id"] == "P0000079"
    assert patient["contact"] == original["contact"]
    assert patient["features"] == original["features"]
    assert patient["genomicFeatures"] == original["genomicFeatures"]
    assert patient["disorders"] == original["disorders"]
    assert patient["test"] is True
    assert mp.case.phenotypes[0] == {"id": "HP:0008773", "name": "Aplasia/Hypoplasia of the middle ear"}
    assert "EFTUD2" in mp.case.findings
    assert "geneeftud2" in mp.case.search_tokens.split()


def test_a_changed_patient_updates_the_same_case() -> None:
    mme_import(patients=benchmark())
    before = MatchProfile.objects.get(external_id="P0001058").case_id
    changed = benchmark()
    p = next(x for x in changed if x["id"] == "P0001058")
    p["features"] = p["features"][:3]
    assert mme_import(patients=changed) == {"created": 0, "updated": 1, "unchanged": 49, "repairs": [
        "P0001017: genomicFeatures/1: variant without start dropped, gene kept",
        "P0001018: genomicFeatures/0: variant without start dropped, gene kept"]}
    mp = MatchProfile.objects.get(external_id="P0001058")
    assert mp.case_id == before
    assert len(mp.features) == 3
    assert Case.objects.count() == 50


@pytest.mark.parametrize("breaks", [lambda p: p.pop("contact"), lambda p: p.update(features=[], genomicFeatures=[]),
                                    lambda p: p["features"].append({"id": "HP:12"})])
def test_one_invalid_patient_and_nothing_is_imported(tmp_path, breaks) -> None:  # type: ignore[no-untyped-def]
    patients = benchmark()
    breaks(patients[7])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(patients))
    with pytest.raises(CommandError, match="nothing was imported") as exc:
        call_command("rarecases_mme_import", str(path))
    assert f"#7 ({patients[7]['id']})" in str(exc.value)
    assert Case.objects.count() == 0
    assert MatchProfile.objects.count() == 0


def test_duplicate_ids_unreadable_files_and_non_lists_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dup = tmp_path / "dup.json"
    dup.write_text(json.dumps(benchmark("P0000079", "P0000079")))
    with pytest.raises(CommandError, match="duplicate id"):
        call_command("rarecases_mme_import", str(dup))
    obj = tmp_path / "obj.json"
    obj.write_text(json.dumps({"patient": benchmark("P0000079")[0]}))
    with pytest.raises(CommandError, match="JSON list"):
        call_command("rarecases_mme_import", str(obj))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("rarecases_mme_import", str(tmp_path / "missing.json"))
    assert Case.objects.count() == 0


def test_imported_patients_are_never_shared_with_peer_platforms() -> None:
    from core.errors import ApplicationError

    mme_import(patients=benchmark("P0000079"))
    with pytest.raises(ApplicationError):
        rare_case_share(case=Case.objects.get())
