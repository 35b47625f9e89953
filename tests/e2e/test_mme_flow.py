"""A doctor picks HPO terms in Chinese and English while confirming a rare case, then finds similar patients:
local cases at once and a Matchmaker Exchange peer (this live server's own /mme/match, over HTTP, asked by a
task) on the results page, with the score, why, and whom to contact."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rarecases.services.cases import rare_case_confirm
from rarecases.services.mme import node_create, node_issue_token, node_set_token_out
from tests.factories import DoctorFactory
from tests.rarecases.factories import encounter

pytestmark = pytest.mark.browser


def test_pick_terms_in_chinese_confirm_and_find_similar_patients(page, live_server, login_as) -> None:  # type: ignore[no-untyped-def]
    # Given another doctor's Wilson-disease case with a shared gene, and this server as an MME peer of itself
    other = DoctorFactory()
    twin = rare_case_confirm(doctor=other, encounter=encounter(doctor=other, codes=("E70.0",)),
                             phenotype_ids=["HP:0200032", "HP:0010837", "HP:0001337"], genes=["ATP7B"])
    peer = node_create(name="Loopback matchmaker", base_url=f"{live_server.url}/mme")
    node_set_token_out(node=peer, token=node_issue_token(node=peer))
    doctor = DoctorFactory()
    enc = encounter(doctor=doctor, codes=("E70.0",), findings="Tremor; copper studies abnormal.")
    login_as(page, live_server, doctor)

    # When the doctor searches the HPO in Chinese and marks the Kayser-Fleischer ring present
    page.goto(f"{live_server.url}/rarecases/encounters/{enc.pk}/confirm/")
    page.get_by_test_id("hpo-q").fill("K-F环")
    expect(page.locator("#hpo-results")).to_contain_text("Kayser-Fleischer ring")
    with page.expect_navigation():
        page.get_by_test_id("add-present").first.click()
    expect(page.get_by_test_id("chosen-terms")).to_contain_text("HP:0200032")
    # ... and an English term, and the candidate gene
    page.get_by_test_id("hpo-q").fill("ceruloplasmin")
    row = page.locator("#hpo-results").locator("tr", has_text="Decreased circulating ceruloplasmin")
    with page.expect_navigation():
        row.get_by_test_id("add-present").click()
    expect(page.get_by_test_id("chosen-terms")).to_contain_text("血清铜蓝蛋白降低")
    page.fill("#id_genes", "ATP7B")
    with page.expect_navigation():
        page.get_by_role("button", name="Update preview").click()
    expect(page.get_by_test_id("mme-json")).to_contain_text("HP:0010837", use_inner_text=False)
    with page.expect_navigation():
        page.get_by_test_id("confirm-case").click()
    expect(page.get_by_test_id("case-title")).to_contain_text("E70.0")

    # Then "find similar patients" lists the other doctor's case with why, and the peer's answer arrives
    with page.expect_navigation():
        page.get_by_test_id("find-similar").click()
    local = page.get_by_test_id("local-results")
    expect(local).to_contain_text(twin.title)
    expect(local).to_contain_text("ATP7B")
    expect(local).to_contain_text("Kayser-Fleischer ring")
    peer_box = page.get_by_test_id("peer-results")
    expect(peer_box.get_by_test_id("peer-status")).to_have_text("Answered")
    expect(peer_box).to_contain_text("Shared genes: ATP7B")
    expect(peer_box.get_by_test_id("contact-link").first).to_be_visible()
