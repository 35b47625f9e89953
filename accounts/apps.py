from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and audit")

    def ready(self) -> None:
        # Log-in successes and failures are audited from Django's auth signals: the only hook that sees
        # every log-in path (allauth forms, the admin, the API). Audit is a record, not business logic.
        from . import receivers  # noqa: F401
