"""Page forms: shape only (the rules live in the services)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from platform_site import forms

from .models import DrugCategory


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name in English or Chinese")}))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("All categories")), *DrugCategory.choices])
    rx = forms.ChoiceField(label=_("Type"), required=False, choices=[
        ("", _("OTC and prescription")), ("otc", _("Over the counter")), ("rx", _("Prescription only"))])
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)


class CheckoutForm(forms.Form):
    recipient_name = forms.CharField(label=_("Recipient"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=32)
    address = forms.CharField(label=_("Delivery address"), max_length=255,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ShipForm(forms.Form):
    tracking_note = forms.CharField(label=_("Tracking note"), max_length=255,
                                    help_text=_("Carrier and tracking number."))


class RestockForm(forms.Form):
    quantity = forms.IntegerField(label=_("Packs received"), min_value=1, max_value=100_000)
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), max_length=255, required=False)
