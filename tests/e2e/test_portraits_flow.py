"""End to end, in a real browser: a counsellor imports synthetic campus files, starts a run, watches its
progress (htmx polling), opens the distribution charts and a student's radar, and resolves two alerts at once;
and the run page explains its k decision, weights and alerts in English and Chinese."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portraits.models import Alert, AlertState, Run, RunStatus
from portraits.synth import COLLEGES, generate
from tests.factories import CounsellorFactory


def test_counsellor_imports_runs_reads_and_resolves(new_page, live_server, login_as, tmp_path, monkeypatch):
    # Given synthetic exports of a small cohort and a counsellor whose profile covers it
    generate(tmp_path, students=120, records=80_000, seed=5, grades=["2024"])
    counsellor = CounsellorFactory(profile__colleges=list(COLLEGES), profile__grades=["2024"])
    # The run task is left queued (no worker), so the page really polls while the test executes it.
    import platform_site.tasking

    monkeypatch.setattr(platform_site.tasking, "enqueue_on_commit", lambda *a, **k: None)

    page = new_page()
    login_as(page, live_server, counsellor)

    # When they upload the files
    page.goto("/portraits/import/")
    files = sorted(str(p) for p in tmp_path.glob("*.csv") if p.name != "truth.csv")
    page.set_input_files("input[name=files]", files)
    with page.expect_navigation():
        page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-ok")).to_be_visible()

    # ... and start a run
    page.goto("/portraits/")
    with page.expect_navigation():
        page.get_by_test_id("start-run").click()
    run = Run.objects.get()
    expect(page.get_by_test_id("run-status")).to_have_text("Queued")

    # Then the page follows the run's progress until it is done, and shows the charts
    from portraits.services import portrait_run_execute

    assert portrait_run_execute(run_id=run.id).status == RunStatus.DONE
    expect(page.get_by_test_id("run-status")).to_have_text("Done", timeout=20_000)
    expect(page.locator("#dist-learning[data-rendered='1']")).to_be_visible()
    expect(page.locator("#curve-learning[data-rendered='1']")).to_be_visible()

    # ... and a student's radar
    page.get_by_test_id("student-list-link").click()
    page.get_by_test_id("student-link").first.click()
    expect(page.locator("#radar[data-rendered='1']")).to_be_visible()
    expect(page.get_by_test_id("label-learning")).not_to_be_empty()

    # ... and they resolve two alerts at once from the inbox, where each student is one row
    page.goto("/portraits/alerts/")
    boxes = page.get_by_test_id("alert-select")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_test_id("bulk-state").select_option("resolved")
    page.get_by_test_id("bulk-note").fill("met the student")
    with page.expect_navigation():
        page.get_by_test_id("bulk-submit").click()
    assert Alert.objects.filter(state=AlertState.RESOLVED, note="met the student").count() == 2


TEXT = {
    "en": ("Choosing k", "best combined rank", "Feature weights", "W-K-means", "Alerts raised"),
    "zh-Hans": ("k 的选择", "综合排名最好", "特征权重", "W-K-means", "已触发的预警"),
}


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_run_page_explains_k_weights_and_alerts(new_page, live_server, login_as, tmp_path, locale):
    # Given an imported cohort and a finished run that chose k itself
    from portraits.services import campus_import_paths, portrait_run_execute, portrait_run_start

    generate(tmp_path, students=120, records=80_000, seed=6, grades=["2024"])
    assert campus_import_paths([tmp_path]).ok
    counsellor = CounsellorFactory(profile__colleges=list(COLLEGES), profile__grades=["2024"])
    run = portrait_run_start(user=None, period="2023", k="auto", enqueue=False)
    run = portrait_run_execute(run_id=run.id)
    assert run.status == RunStatus.DONE, run.error
    title, chosen, weights, method, alerts = TEXT[locale]

    # When the counsellor opens the run page
    page = new_page(locale=locale)
    login_as(page, live_server, counsellor)
    page.goto(f"/portraits/runs/{run.id}/")

    # Then every dimension shows its k with the reasons, the curves, the weights and their effect
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    learning = page.get_by_test_id("k-decision-learning")
    k = run.metrics["dimensions"]["learning"]["k"]
    expect(learning.locator("h3")).to_contain_text(f"k = {k}")
    expect(page.get_by_test_id("k-reasons-learning")).to_contain_text(chosen)
    expect(page.locator("#curve-learning[data-rendered='1']")).to_be_visible()
    expect(learning).to_contain_text(weights)
    expect(page.get_by_test_id("weights-learning")).to_contain_text(method)
    # ... and the alerts this run raised, per rule, with the share of the cohort
    table = page.get_by_test_id("run-alerts")
    expect(page.get_by_role("heading", name=alerts)).to_be_visible()
    for n in run.metrics["alerts"].values():
        expect(table).to_contain_text(str(n))
