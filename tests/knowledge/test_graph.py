from __future__ import annotations

import pytest

from knowledge import selectors, services
from knowledge.models import Edge, EdgeKind, Node, NodeKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph():
    return services.knowledge_load()


def test_loading_twice_gives_the_same_rows(graph):
    # given a loaded graph, when it is loaded again
    rows = set(Edge.objects.values_list("src__kind", "src__key", "dst__kind", "dst__key", "kind", "source"))
    again = services.knowledge_load()
    # then the counts and the very rows are the same
    assert again == graph
    assert set(Edge.objects.values_list("src__kind", "src__key", "dst__kind", "dst__key", "kind", "source")) == rows
    assert graph["nodes.disease"] > 800
    assert graph["nodes.symptom"] > 800
    assert graph["edges.has_symptom"] > 2000
    assert graph["edges.coded_as"] > 3000


def test_a_stale_edge_of_a_loaded_source_is_removed_on_reload(graph):
    a, b = Node.objects.filter(kind=NodeKind.SYMPTOM)[:2]
    Edge.objects.create(src=b, dst=a, kind=EdgeKind.HAS_SYMPTOM, source="DO")
    assert services.knowledge_load() == graph


def test_symptom_ancestors_by_recursive_query(graph):
    # SYMP: "renal colic" is_a "colicky pain" ... up to the root "symptom"
    colic = Node.objects.get(kind=NodeKind.SYMPTOM, name_en="renal colic")
    names = [n.name_en for n in selectors.node_ancestors([colic.pk])]
    assert names[-1] == "symptom"
    assert "pain" in names
    depths = [n.depth for n in selectors.node_ancestors([colic.pk])]
    assert depths == sorted(depths)
    assert depths[0] == 1


def test_icd10_codes_lead_to_the_department_of_the_most_specific_range(graph):
    prostate = Node.objects.get(kind=NodeKind.ICD10, key="N40")  # block N40-N51 inside chapter N00-N99
    reflux = Node.objects.get(kind=NodeKind.ICD10, key="K21")
    assert [d.key for d in selectors.departments_of_codes([prostate.pk])] == ["urology"]
    assert [d.key for d in selectors.departments_of_codes([reflux.pk])] == ["gastroenterology"]


def test_catalogue_drugs_are_linked_by_their_atc_class_idempotently(graph):
    drugs = [services.CatalogueDrug(id=7, name_en="Omeprazole", name_zh="奥美拉唑", atc_code="A02BC01"),
             services.CatalogueDrug(id=8, name_en="Banlangen granules", name_zh="板蓝根颗粒", atc_code="")]
    first = services.catalogue_drugs_link(drugs=drugs)
    assert services.catalogue_drugs_link(drugs=drugs) == first == 6  # K21 K25 K27 K29 K30 R12
    treats = set(Edge.objects.filter(kind=EdgeKind.TREATS).values_list("src__key", "dst__key"))
    assert ("drug:7", "K21") in treats
    assert not any(src == "drug:8" for src, _ in treats)
    gerd = Node.objects.filter(kind=NodeKind.DISEASE, out_edges__kind=EdgeKind.CODED_AS,
                               out_edges__dst__key__startswith="K21").first()
    assert [d.key for d in selectors.disease_detail(gerd)["drugs"]] == ["drug:7"]


def test_search_finds_diseases_and_symptoms_in_both_languages(graph):
    assert "SYMP:0000570" in {n.key for n in selectors.node_search("拉肚子")}
    assert "SYMP:0000570" in {n.key for n in selectors.node_search("diarrh")}
    assert any(n.kind == NodeKind.DISEASE for n in selectors.node_search("influenza"))


def test_the_demo_seed_loads_the_graph_and_links_the_catalogue_idempotently():
    from io import StringIO

    from knowledge import demo
    from pharmacy import demo_catalogue
    from pharmacy.models import Drug

    demo.seed(StringIO())
    demo_catalogue.seed(StringIO())
    counts = services.graph_counts()
    demo.seed(StringIO())
    demo_catalogue.seed(StringIO())
    assert services.graph_counts() == counts
    assert counts["nodes.drug"] == Drug.objects.count()
    omeprazole = Drug.objects.filter(atc_code="A02BC01").first()
    treats = set(Edge.objects.filter(kind=EdgeKind.TREATS, src__key=f"drug:{omeprazole.pk}")
                 .values_list("dst__key", flat=True))
    assert treats == {"K21", "K25", "K27", "K29", "K30", "R12"}


def test_symptoms_are_linked_to_the_hpo_terms_of_the_same_name(graph):
    same = dict(Edge.objects.filter(kind=EdgeKind.SAME_AS).values_list("src__name_en", "dst__key"))
    assert same["fever"] == "HP:0001945"
    assert graph["nodes.hpo"] > 200
    assert graph["edges.same_as"] >= graph["nodes.hpo"]  # two SYMP terms may name one HPO term
