"""accounts services: consent grant/withdraw, family members, notifications once, e-mail outbox."""
from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts import policy
from accounts.models import AuditEvent, Consent, FamilyLink, Notification, OutboundEmail, User
from accounts.selectors import consent_is_active
from accounts.services import (
    consent_grant,
    consent_withdraw,
    email_outbox_sweep,
    family_member_add,
    notify,
    signup_expire_stale,
)
from core.errors import ApplicationError
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_consent_grant_twice_keeps_one_active_grant_and_withdrawal_is_honoured():
    alice = PatientFactory()
    first = consent_grant(user=alice, kind="rare_case_sharing")
    second = consent_grant(user=alice, kind="rare_case_sharing")
    assert first.pk == second.pk
    assert consent_is_active(user=alice, kind="rare_case_sharing")
    assert consent_withdraw(user=alice, kind="rare_case_sharing") == 1
    assert not consent_is_active(user=alice, kind="rare_case_sharing")
    # history is kept: the withdrawn grant still exists, with its withdrawal time
    assert Consent.objects.filter(user=alice, kind="rare_case_sharing", withdrawn_at__isnull=False).count() == 1
    assert consent_withdraw(user=alice, kind="rare_case_sharing") == 0


def test_unknown_consent_kind_is_refused_and_nothing_written():
    alice = PatientFactory()
    with pytest.raises(ApplicationError):
        consent_grant(user=alice, kind="selling-my-data")
    assert not Consent.objects.exists()


def test_consent_page_withdraw(client):
    alice = PatientFactory()
    consent_grant(user=alice, kind="portraits")
    client.force_login(alice)
    response = client.post(reverse("consents"), {"kind": "portraits", "action": "withdraw"}, follow=True)
    assert response.status_code == 200
    assert not consent_is_active(user=alice, kind="portraits")


def test_family_member_is_acted_for_only_by_the_principal():
    alice, bob = PatientFactory(), PatientFactory()
    child = family_member_add(principal=alice, full_name="Test Child", relationship="child")
    assert child.is_managed
    assert not child.has_usable_password()
    assert set(policy.patient_side_ids(alice)) == {alice, child}
    assert policy.acts_for(alice, child.pk).rule == "proxy"
    assert not policy.acts_for(bob, child.pk)
    assert not policy.acts_for(child, alice.pk)


@pytest.mark.parametrize(("name", "relationship"), [("", "child"), ("Someone", "landlord")])
def test_family_member_bad_input_changes_nothing(name, relationship):
    alice = PatientFactory()
    users = User.objects.count()
    with pytest.raises(ApplicationError):
        family_member_add(principal=alice, full_name=name, relationship=relationship)
    assert User.objects.count() == users
    assert not FamilyLink.objects.exists()


def test_doctor_cannot_add_family_members():
    with pytest.raises(ApplicationError):
        family_member_add(principal=DoctorFactory(), full_name="X", relationship="child")


def test_family_page_adds_a_member(client):
    alice = PatientFactory()
    client.force_login(alice)
    response = client.post(reverse("family"), {"full_name": "Test Parent", "relationship": "parent", "sex": "male"})
    assert response.status_code == 302
    link = FamilyLink.objects.get(principal=alice)
    assert link.member.full_name == "Test Parent"
    assert AuditEvent.objects.filter(object_type="family_member", subject=link.member).count() == 1


def test_notify_is_once_per_dedupe_key(django_capture_on_commit_callbacks):
    alice = PatientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(user=alice, kind="reminder", title="Take your medicine", dedupe_key="dose:1")
        second = notify(user=alice, kind="reminder", title="Take your medicine", dedupe_key="dose:1")
    assert first is not None
    assert second is None
    assert Notification.objects.filter(user=alice).count() == 1
    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_outbox_sweep_sends_pending_mail_once():
    alice = PatientFactory()
    # no on_commit execution: as if the broker had been down when the mail was queued
    notify(user=alice, kind="info", title="Hello")
    assert OutboundEmail.objects.get().status == "pending"
    assert email_outbox_sweep() == 1
    assert email_outbox_sweep() == 0
    assert OutboundEmail.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_stale_unverified_signups_expire(client):
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    stale = PatientFactory()
    EmailAddress.objects.filter(user=stale).update(verified=False)
    User.objects.filter(pk=stale.pk).update(date_joined=timezone.now() - timedelta(days=8), last_login=None)
    fresh = PatientFactory()
    EmailAddress.objects.filter(user=fresh).update(verified=False)
    verified_old = PatientFactory()
    User.objects.filter(pk=verified_old.pk).update(date_joined=timezone.now() - timedelta(days=30), last_login=None)
    assert signup_expire_stale() == 1
    assert set(User.objects.values_list("pk", flat=True)) == {fresh.pk, verified_old.pk}
