from __future__ import annotations

from django.contrib import admin

from .models import TaskOutbox


@admin.register(TaskOutbox)
class TaskOutboxAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "created_at", "published_at", "publish_attempts", "started_at", "done_at", "failed"]
    list_filter = ["task", "failed"]
    readonly_fields = [f.name for f in TaskOutbox._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
