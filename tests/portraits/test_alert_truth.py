"""Every intervention rule against the students the generator planted for it (truth.csv alert_<rule>), issue 21:
synthetic files → import → the run's features and cleaning → `alerts_raise` (what a run does after clustering,
which the rules do not read) → precision and recall of each rule ≥ 0.9."""
from __future__ import annotations

import pandas as pd
import pytest

from portraits.analysis.cleaning import clean
from portraits.analysis.pipeline import DEFAULT_PARAMS
from portraits.analysis.rules import DEFAULT_RULE_PARAMS
from portraits.analysis.spec import STUDENTS
from portraits.features import student_features
from portraits.models import Alert, Student
from portraits.services import campus_import_paths, portrait_run_start
from portraits.services.pseudonym import pseudonym
from portraits.services.runs import alerts_raise
from portraits.synth import generate

pytestmark = pytest.mark.django_db


def test_each_rule_catches_the_students_planted_for_it(tmp_path):
    generate(tmp_path, students=300, records=175_000, seed=7)
    assert campus_import_paths([tmp_path]).ok
    run = portrait_run_start(user=None, period="2023", k=5, enqueue=False)
    frame = student_features("2023")
    cleaned, _ = clean(frame, numeric=STUDENTS.features, categorical=["gender", "province"],
                       iqr_factor=float(DEFAULT_PARAMS["iqr_factor"]), median_by="grade",
                       capped=list(DEFAULT_PARAMS["capped"]))
    counts = alerts_raise(run=run, features=cleaned)
    truth = pd.read_csv(tmp_path / "truth.csv", dtype={"student_no": str})
    ids = dict(Student.objects.values_list("pseudonym", "id"))
    truth["student_id"] = truth["student_no"].map(lambda s: ids[pseudonym(s)])
    fired = set(Alert.objects.filter(run=run).values_list("rule__kind", "student_id"))
    assert {kind for kind, _ in fired} == set(DEFAULT_RULE_PARAMS)
    scores = {}
    for kind in DEFAULT_RULE_PARAMS:
        planted = set(truth.loc[truth[f"alert_{kind}"] == 1, "student_id"])
        caught = {sid for k, sid in fired if k == kind}
        hit = len(planted & caught)
        assert counts[kind] == len(caught)
        scores[kind] = (hit / len(caught), hit / len(planted))
    for kind, (precision, recall) in scores.items():
        assert precision >= 0.9, (kind, scores)
        assert recall >= 0.9, (kind, scores)
