from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The platform's shared kernel: what every app relies on and no app owns (the domain error types, the page
    helpers, the task outbox). It imports no domain app."""

    name = "core"
    verbose_name = _("Platform core")
    default_auto_field = "django.db.models.BigAutoField"
