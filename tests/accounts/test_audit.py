"""The audit log: append-only (admin and, on PostgreSQL, the database), hash-chained, escaped."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import audit_chain_verify, audit_record
from tests.factories import AdminFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db


def _three_events():
    alice = PatientFactory()
    for i in range(3):
        audit_record(actor=alice, action="read", object_type="record", object_id=i, subject=alice)
    return alice


def test_chain_verifies_when_untouched():
    _three_events()
    report = audit_chain_verify()
    assert report.ok
    assert report.checked == AuditEvent.objects.count()
    call_command("audit_verify")


def test_changing_a_row_breaks_the_chain():
    _three_events()
    victim = AuditEvent.objects.order_by("seq")[1]
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL trigger refuses the UPDATE itself (see test_update_refused_on_postgres)")
    AuditEvent.objects.filter(pk=victim.pk).update(object_id="tampered")
    report = audit_chain_verify()
    assert not report.ok
    assert report.first_bad_seq == victim.seq
    assert report.reason == "content changed"
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit_verify")


def test_deleting_a_row_breaks_the_chain():
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL trigger refuses the DELETE itself")
    _three_events()
    victim = AuditEvent.objects.order_by("seq")[1]
    AuditEvent.objects.filter(pk=victim.pk).delete()
    report = audit_chain_verify()
    assert not report.ok
    assert report.first_bad_seq == victim.seq + 1


@pytest.mark.postgres
def test_update_and_delete_refused_on_postgres():
    _three_events()
    victim = AuditEvent.objects.order_by("seq")[1]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=victim.pk).update(object_id="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=victim.pk).delete()
    victim.refresh_from_db()
    assert victim.object_id == "1"
    assert audit_chain_verify().ok


@pytest.mark.postgres
def test_changing_a_row_with_the_trigger_disabled_breaks_the_chain():
    """Someone with owner rights disables the trigger and edits a row: verification still catches it."""
    _three_events()
    victim = AuditEvent.objects.order_by("seq")[1]
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE accounts_auditevent DISABLE TRIGGER accounts_auditevent_append_only")
        cur.execute("UPDATE accounts_auditevent SET object_id = 'tampered' WHERE id = %s", [victim.pk])
        cur.execute("ALTER TABLE accounts_auditevent ENABLE TRIGGER accounts_auditevent_append_only")
    report = audit_chain_verify()
    assert not report.ok
    assert report.first_bad_seq == victim.seq


def test_admin_cannot_add_change_or_delete_audit_entries(client):
    admin = AdminFactory()
    give_totp(admin)
    alice = _three_events()
    event = AuditEvent.objects.filter(subject=alice).first()
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    response = client.post(reverse("admin:accounts_auditevent_change", args=[event.pk]), {"object_id": "x"})
    assert response.status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.object_id != "x"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_control_characters_are_escaped():
    alice = PatientFactory()
    event = audit_record(actor=alice, action="read", object_type="rec\nord", object_id="1\x1b[31m",
                         detail={"note": "line1\r\nline2\x00"})
    assert event.object_type == "rec\\x0aord"
    assert event.object_id == "1\\x1b[31m"
    assert event.detail == {"note": "line1\\x0d\\x0aline2\\x00"}
    assert audit_chain_verify().ok


def test_who_accessed_my_data_names_the_person_role_and_record_in_the_readers_language(client):
    from tests.factories import DoctorFactory

    alice, doctor = PatientFactory(), DoctorFactory(full_name="Dr Test Reader")
    audit_record(actor=doctor, action="read", object_type="pharmacy.order", object_id="42", subject=alice)
    audit_record(actor=doctor, action="read", object_type="some.new_type", object_id="7", subject=alice)
    audit_record(actor=None, actor_label="peer:hospital-b", action="read", object_type="rarecases.case",
                 object_id="9", subject=alice)
    client.force_login(alice)
    en = client.get(reverse("access_log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>Dr Test Reader · Doctor</td>" in en
    assert "<td>medicine order 42</td>" in en
    assert "<td>some.new_type 7</td>" in en  # a type without a name is shown as stored
    assert doctor.email not in en
    assert "<td>peer:hospital-b</td>" in en  # no account behind the entry: the label stored with it
    assert "<td>rare case 9</td>" in en
    zh = client.get(reverse("access_log"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<td>Dr Test Reader · 医生</td>" in zh
    assert "<td>药品订单 42</td>" in zh


def test_who_accessed_my_record_shows_only_my_entries(client):
    alice, bob = PatientFactory(), PatientFactory()
    audit_record(actor=bob, action="read", object_type="record", object_id="record-of-alice-xyz", subject=alice)
    audit_record(actor=alice, action="read", object_type="record", object_id="record-of-bob-xyz", subject=bob)
    client.force_login(alice)
    body = client.get(reverse("access_log")).content.decode()
    assert "record-of-alice-xyz" in body
    assert "record-of-bob-xyz" not in body
