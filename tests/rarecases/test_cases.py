"""The de-identified case store (S400): confirmation, refusals, versions, search, access tracking."""
from __future__ import annotations

from datetime import date

import pytest

from accounts.models import AuditEvent
from accounts.services import consent_withdraw
from core.errors import NotFound
from rarecases.models import Case, CaseEvent, EventKind
from rarecases.selectors import case_search, propagation_indices
from rarecases.services import case_event_record, case_forward, case_preview, rare_case_confirm
from rarecases.services.cases import ConsentMissing, IdentifierFound
from tests.factories import DoctorFactory, PatientFactory

from .factories import encounter

pytestmark = pytest.mark.django_db


def _patient(**profile):  # type: ignore[no-untyped-def]
    p = PatientFactory(full_name="Zhou Xinyi 周欣怡")
    for k, v in {"date_of_birth": date(1990, 3, 7), "sex": "female", "region": "Zhejiang",
                 "phone": "138 0000 1111", **profile}.items():
        setattr(p.patient_profile, k, v)
    p.patient_profile.save()
    return p


def test_confirm_stores_only_de_identified_fields() -> None:
    enc = encounter(patient=_patient(), codes=("E70.0", "G12.2"))
    case = rare_case_confirm(doctor=enc.doctor, encounter=enc, outcome="Improved on diet.",
                             phenotype_ids=["HP:0001250"])
    case.refresh_from_db()
    assert case.version == 1
    assert case.is_current
    assert case.origin == "platform-local"
    assert case.sex == "female"
    assert case.region == "Zhejiang"
    assert case.age_band in {"30-34", "35-39"}
    assert [c["code"] for c in case.codes] == ["E70.0", "G12.2"]
    assert (case.category, case.chapter) == ("E70-E90", "E")
    # Orphanet classes through the ICD-10 cross-references (data/icd10_orphanet.tsv), exact matches first.
    assert case.orpha[:2] == [{"id": "ORPHA:716", "name": "Phenylketonuria"},
                              {"id": "ORPHA:79254", "name": "Classic phenylketonuria"}]
    assert {"id": "ORPHA:98503", "name": "Motor neuron disease"} in case.orpha
    assert case.phenotypes == [{"id": "HP:0001250", "name": "Seizure"}]
    assert set(case.tags) >= {"chapter:E", "block:E70-E90", "code:E70", "rare:orphanet"}
    stored = str(Case.objects.filter(pk=case.pk).values().get())
    for secret in ("Zhou", "周欣怡", "1990-03-07", "138 0000 1111", enc.patient.email):
        assert secret not in stored
    assert AuditEvent.objects.filter(action="create", object_type="rarecases.case",
                                     object_id=str(case.case_uuid)).count() == 1


def test_second_confirmation_is_a_new_version_of_the_same_case() -> None:
    enc = encounter()
    first = rare_case_confirm(doctor=enc.doctor, encounter=enc)
    second = rare_case_confirm(doctor=enc.doctor, encounter=enc, outcome="Stable at 6 months.")
    first.refresh_from_db()
    assert (second.case_uuid, second.version, second.is_current) == (first.case_uuid, 2, True)
    assert first.is_current is False
    assert list(case_search(q="phenylketonuria")) == [second]


def test_without_consent_the_case_is_refused_audited_and_nothing_is_stored() -> None:
    enc = encounter(consent=False)
    with pytest.raises(ConsentMissing):
        rare_case_confirm(doctor=enc.doctor, encounter=enc)
    assert Case.objects.count() == 0
    denied = AuditEvent.objects.get(action="denied", object_type="rarecases.case")
    assert denied.subject_id == enc.patient_id
    assert "rare_case_sharing" in denied.detail["reason"]


def test_withdrawn_consent_is_refused() -> None:
    enc = encounter()
    consent_withdraw(user=enc.patient, kind="rare_case_sharing")
    with pytest.raises(ConsentMissing):
        rare_case_confirm(doctor=enc.doctor, encounter=enc)
    assert Case.objects.count() == 0


@pytest.mark.parametrize("findings", [
    "Mother Zhou Xinyi reports seizures",  # the patient's own name
    "Call 138 0000 1111 with results",  # the patient's phone
    "DOB 1990-03-07, PKU on newborn screen",
    "Referred by Mrs. Chen from 12 Garden Road",
])
def test_identifier_in_free_text_refuses_the_case(findings: str) -> None:
    enc = encounter(patient=_patient(), findings=findings)
    preview = case_preview(encounter=enc)
    assert "findings" in preview["problems"]
    with pytest.raises(IdentifierFound) as exc:
        rare_case_confirm(doctor=enc.doctor, encounter=enc)
    assert "findings" in exc.value.extra["problems"]
    assert Case.objects.count() == 0


def test_only_the_encounters_doctor_may_confirm() -> None:
    enc = encounter()
    with pytest.raises(NotFound):
        rare_case_confirm(doctor=DoctorFactory(), encounter=enc)
    assert Case.objects.count() == 0


def test_search_by_code_category_phenotype_and_words_in_both_languages() -> None:
    pku = rare_case_confirm(doctor=(e := encounter()).doctor, encounter=e, phenotype_ids=["HP:0001250"])
    mnd = rare_case_confirm(doctor=(e2 := encounter(codes=("G12.2",), findings="Progressive weakness.",
                                                    plan="Riluzole.")).doctor, encounter=e2)
    assert list(case_search(code="E70")) == [pku]
    assert list(case_search(code="g12.2")) == [mnd]
    assert list(case_search(category="G10-G14")) == [mnd]
    assert list(case_search(category="E")) == [pku]
    assert list(case_search(category="ORPHA:716")) == [pku]
    assert list(case_search(phenotype="HP:0001250")) == [pku]
    assert list(case_search(phenotype="seizure")) == [pku]
    assert list(case_search(q="苯丙酮尿症")) == [pku]
    assert list(case_search(q="运动神经元病")) == [mnd]
    assert list(case_search(q="riluzole weakness")) == [mnd]
    assert list(case_search(q="riluzole seizure")) == []


def test_events_and_propagation_index() -> None:
    enc = encounter()
    case = rare_case_confirm(doctor=enc.doctor, encounter=enc)
    colleague = DoctorFactory()
    case_event_record(case=case, kind=EventKind.VIEW, actor=enc.doctor)
    case_event_record(case=case, kind=EventKind.DOWNLOAD, actor=enc.doctor)
    case_forward(sender=enc.doctor, case=case, recipient=colleague)
    case_event_record(case=case, kind=EventKind.CITE, actor=colleague, target_node="appointment:1")
    # PI = Σ w·(1+depth) + distinct nodes reached: download 1·2 + forward 1.5·2 + cite 2·2 = 9, + 2 nodes
    assert propagation_indices(Case.objects.filter(pk=case.pk)) == {case.pk: 11.0}
    assert CaseEvent.objects.filter(case=case).count() == 4
    assert colleague.notifications.filter(kind="rarecases.forward").count() == 1
