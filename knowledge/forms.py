from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from knowledge.triage import MAX_TEXT
from platform_site import forms


class TriageForm(forms.Form):
    text = forms.CharField(label=_("Describe your symptoms"), max_length=MAX_TEXT, widget=forms.Textarea(
        attrs={"rows": 4}))
    age = forms.FloatField(label=_("Age (years)"), min_value=0, max_value=130)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("female", _("Female")), ("male", _("Male"))])
