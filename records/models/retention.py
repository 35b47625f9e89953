"""records: the nightly retention report (docs/compliance.md). It lists what is past its retention period for a
person to review; nothing is deleted by the report."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["RetentionReport"]


class RetentionReport(models.Model):
    run_on = models.DateField(_("date"), unique=True)  # one report per night: a second run updates it
    generated_at = models.DateTimeField(auto_now=True)
    # {"category": {"retention_years": n, "cutoff": iso, "count": n, "oldest": iso|None, "sample_ids": [...]}}
    findings = models.JSONField(default=dict)

    class Meta:
        ordering = ["-run_on"]
        verbose_name = _("retention report")

    def __str__(self) -> str:
        return f"retention {self.run_on}"
