from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RarecasesConfig(AppConfig):
    name = "rarecases"
    verbose_name = _("Rare cases")
