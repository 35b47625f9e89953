from __future__ import annotations

from django.contrib import admin

from .models import Alert, ImportBatch, InterventionRule, Run


@admin.register(InterventionRule)
class InterventionRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "enabled", "params", "updated_at"]
    list_editable = ["enabled"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "period", "status", "progress", "n_students", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["kind", "period", "params", "versions", "metrics", "centroids", "status", "progress",
                       "stage", "error", "n_students", "created_by", "started_at", "finished_at"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["file_name", "source", "rows_read", "rows_stored", "duplicates_dropped", "missing_values",
                    "encoding", "created_at"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["rule", "student", "period", "owner", "state", "updated_at"]
    list_filter = ["state", "rule", "period"]
    raw_id_fields = ["student", "run", "owner"]
