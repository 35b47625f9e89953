from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running the platform on several nodes: probes, metrics, request ids and JSON logs, the single beat
    scheduler, backup and restore (docs/operations.md). No models; it reads the apps' tables only to count."""

    name = "operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # Celery: a task carries the id of the request that queued it (its audit rows and log lines share it).
        from . import request_id  # noqa: F401
