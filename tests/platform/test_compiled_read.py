"""platform_site.db.CompiledRead: a statement compiled once gives the instance the ORM gives — every concrete
field with its converters applied (aware datetimes, booleans), annotations as attributes — and None for no row."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.utils import timezone

from accounts.models import Notification, User
from platform_site.db import CompiledRead
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _fields(user: User) -> dict:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


def test_the_instance_equals_the_orms_with_converted_values_and_annotations():
    patient = PatientFactory()
    patient.last_login = timezone.now() - timedelta(days=3)
    patient.save(update_fields=["last_login"])
    for i in range(2):
        Notification.objects.create(user=patient, kind="test", title=f"n{i}")
    unread = (Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
              .order_by().values("user").annotate(n=Count("*")).values("n"))
    read = CompiledRead(User.objects.filter(pk=-1).annotate(
        unread=Subquery(unread, output_field=IntegerField())), (-1,))

    user = read.first([patient.pk])
    expected = User.objects.get(pk=patient.pk)
    assert _fields(user) == _fields(expected)
    assert user.last_login.tzinfo is not None
    assert user.last_login == patient.last_login
    assert isinstance(user.is_active, bool)
    assert user.unread == 2
    assert user._state.adding is False
    assert user._state.db == "default"
    assert read.first([10**9]) is None


def test_a_queryset_whose_parameters_differ_from_the_declared_ones_is_refused():
    with pytest.raises(RuntimeError, match="unexpected parameters"):
        CompiledRead(User.objects.filter(pk=-1, email="x@example.test"), (-1,))
