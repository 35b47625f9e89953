"""The drug catalogue (the one Drug model of the platform) — orders, stock ledger and dispensing build on it."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class DosageForm(models.TextChoices):
    TABLET = "tablet", _("Tablet")
    CAPSULE = "capsule", _("Capsule")
    SYRUP = "syrup", _("Syrup")
    INJECTION = "injection", _("Injection")
    CREAM = "cream", _("Cream")
    INHALER = "inhaler", _("Inhaler")
    DROPS = "drops", _("Drops")
    GRANULES = "granules", _("Granules")
    PATCH = "patch", _("Patch")
    OTHER = "other", _("Other")


class Drug(models.Model):
    generic_name_en = models.CharField(_("generic name (English)"), max_length=200, db_index=True)
    generic_name_zh = models.CharField(_("generic name (Chinese)"), max_length=200, blank=True)
    brand_name_en = models.CharField(_("brand name (English)"), max_length=200, blank=True)
    brand_name_zh = models.CharField(_("brand name (Chinese)"), max_length=200, blank=True)
    form = models.CharField(_("dosage form"), max_length=20, choices=DosageForm.choices, default=DosageForm.TABLET)
    strength = models.CharField(_("strength"), max_length=100, blank=True)
    package_size = models.CharField(_("package size"), max_length=100, blank=True)
    is_prescription_only = models.BooleanField(_("prescription only"), default=False)
    price = models.DecimalField(_("price (CNY)"), max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField(_("stock on hand"), default=0)
    # Lower-case ingredient names; the allergy check compares them with recorded allergies' substances.
    active_ingredients = models.JSONField(_("active ingredients"), default=list, blank=True)
    atc_code = models.CharField(_("ATC code"), max_length=10, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["generic_name_en"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="drug_price_not_negative")]
        verbose_name = _("drug")

    def __str__(self) -> str:
        return f"{self.generic_name_en} {self.strength}".strip()

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("zh") and self.generic_name_zh:
            return f"{self.generic_name_zh} {self.strength}".strip()
        return str(self)
