"""The navigation links are cached per role, staff flag and language (templates/base.html, CACHES["fragments"]):
one person's links never show on another role's page, and the language switch changes them."""
from __future__ import annotations

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import translation

from tests.factories import DoctorFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_fragments():  # type: ignore[no-untyped-def]
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()


def _nav(client, user, lang="en"):  # type: ignore[no-untyped-def]
    client.force_login(user)
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    client.logout()
    return html.split("</nav>")[0]


def test_each_role_and_language_gets_its_own_links(client, settings):
    settings.REQUIRE_STAFF_MFA = False
    patient, doctor = PatientFactory(), DoctorFactory()
    give_totp(doctor)
    first = _nav(client, patient)
    assert reverse("consult:directory") in first
    assert reverse("consult:console") not in first
    doctor_nav = _nav(client, doctor)
    assert reverse("consult:console") in doctor_nav
    assert reverse("consult:directory") not in doctor_nav
    assert reverse("family") not in doctor_nav           # the patient-only menu entry
    zh = _nav(client, patient, "zh-hans")
    with translation.override("zh-hans"):
        find_a_doctor_zh = translation.gettext("Find a doctor")
    assert find_a_doctor_zh != "Find a doctor"
    assert find_a_doctor_zh in zh
    assert "Find a doctor" not in zh
    assert len(caches["fragments"]._cache) == 6   # (links, menu) × (patient en, doctor en, patient zh)


def test_the_cached_links_keep_the_per_person_parts_out(client):
    patient = PatientFactory()
    PatientFactory()
    nav = _nav(client, patient)
    assert patient.display_name in nav
    other = PatientFactory(full_name="Another Synthetic Person")
    assert "Another Synthetic Person" in _nav(client, other)
    assert patient.display_name not in _nav(client, other)
