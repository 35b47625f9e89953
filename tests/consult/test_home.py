"""The front door at `/`: public, lists departments with their doctors, bounded queries; zh too."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.consult.factories import DepartmentFactory
from tests.factories import DoctorFactory

pytestmark = pytest.mark.django_db


def _doctor(dept, name: str, fee: str):  # type: ignore[no-untyped-def]
    doctor = DoctorFactory(full_name=name)
    doctor.doctor_profile.department = dept
    doctor.doctor_profile.fee = Decimal(fee)
    doctor.doctor_profile.save()
    return doctor


def test_visitor_sees_departments_doctors_fees_and_the_ways_in(client, django_assert_max_num_queries):
    cardio = DepartmentFactory(code="cardiology", name_en="Cardiology", name_zh="心内科")
    derm = DepartmentFactory(code="dermatology", name_en="Dermatology", name_zh="皮肤科")
    DepartmentFactory(code="empty", name_en="Empty Department")
    a = _doctor(cardio, "Dr Heart", "80.00")
    _doctor(derm, "Dr Skin", "40.00")
    inactive = _doctor(derm, "Dr Gone", "10.00")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])

    with django_assert_max_num_queries(4) as few:
        response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count('data-testid="front-department"') == 2  # the empty department is not listed
    assert html.count('data-testid="front-doctor"') == 2
    assert "Dr Gone" not in html
    assert f'href="{reverse("consult:doctor_detail", args=[a.pk])}"' in html
    assert "from CNY 40.00 to CNY 80.00" in html
    for url in (reverse("knowledge:triage"), reverse("pharmacy:catalogue"), reverse("account_signup"),
                reverse("account_login"), reverse("consult:directory")):
        assert f'href="{url}' in html, url
    # More doctors, same number of queries
    for i in range(5):
        _doctor(cardio, f"Dr Extra {i}", "60.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/").content.decode().count('data-testid="front-doctor"') == 7


def test_front_door_in_chinese(client):
    _doctor(DepartmentFactory(code="cardiology", name_en="Cardiology", name_zh="心内科"), "Dr Heart", "80.00")
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "心内科" in html
    assert "我该看哪个科？" in html or "看哪个科" in html


def test_logged_in_user_gets_their_dashboard(client, patient):
    client.force_login(patient)
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, reverse("dashboard"))
