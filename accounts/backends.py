"""Authentication back-ends: Django's and allauth's, with the per-request user read made cheap.

`get_user` runs on every request of a logged-in session. Django's `User.objects.get(pk=…)` spent ~0.5 ms of
CPU building the query; here the statement is compiled once per database (platform_site.db.CompiledRead:
same columns, same converters, same instance). The same statement counts the user's unread
notifications, which every page shows in the navigation (accounts.context_processors), so a page asks the
database once for both."""
from __future__ import annotations

from typing import Any

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends
from django.db.models import Count, IntegerField, OuterRef, Subquery

from platform_site.db import CompiledRead, built_once

from .models import Notification, User


def _user_read() -> CompiledRead:
    unread = (Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
              .order_by().values("user").annotate(n=Count("*")).values("n"))
    # The statement must take the user's id as its only parameter (CompiledRead checks).
    return CompiledRead(User.objects.filter(pk=-1).annotate(
        unread_notifications_count=Subquery(unread, output_field=IntegerField())), (-1,))


def user_for_session(user_id: Any) -> User | None:
    """The user with primary key `user_id`, carrying `unread_notifications_count`; None if there is none."""
    user = built_once("accounts.session_user", _user_read).first([user_id])
    if user is not None and user.unread_notifications_count is None:  # the subquery finds no row: none unread
        user.unread_notifications_count = 0
    return user


class _CheapGetUser:
    def get_user(self, user_id: Any) -> User | None:
        user = user_for_session(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_CheapGetUser, django_backends.ModelBackend):
    pass


class AuthenticationBackend(_CheapGetUser, allauth_backends.AuthenticationBackend):
    pass
