"""The task outbox: a queued Celery task is first a row, written in the transaction of the work that asks for it."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskOutbox(models.Model):
    """One task to run once. Written by `core.outbox.task_enqueue_on_commit` inside the caller's transaction (so a
    rolled-back request queues nothing and a committed one never loses its task), published to the broker after
    commit by the process's publisher thread or by the periodic sweep, and claimed by the worker that runs it
    (`core.tasking.OutboxTask`): `started_at` is set once, so a message published twice runs once."""

    task = models.CharField(pgettext_lazy("task outbox", "task"), max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(pgettext_lazy("task outbox", "created"), default=timezone.now)
    published_at = models.DateTimeField(pgettext_lazy("task outbox", "published"), null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(pgettext_lazy("task outbox", "started"), null=True, blank=True)
    done_at = models.DateTimeField(pgettext_lazy("task outbox", "done"), null=True, blank=True)
    failed = models.BooleanField(default=False)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        indexes = [
            # The sweep's and the publisher's scan: only rows not done yet (a handful, unless the broker is down).
            models.Index(fields=["created_at"], condition=Q(done_at__isnull=True), name="core_outbox_open"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
