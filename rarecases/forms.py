from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words (English or Chinese)"), required=False, max_length=200)
    code = forms.CharField(label=_("ICD-10 code"), required=False, max_length=8)
    category = forms.CharField(label=_("Category (ICD-10 block, chapter or ORPHA id)"), required=False, max_length=16)
    phenotype = forms.CharField(label=_("Phenotype (HPO id or term)"), required=False, max_length=100)


class ConfirmForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                               max_length=5000)
    treatment = forms.CharField(label=_("Treatment"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                max_length=5000)
    outcome = forms.CharField(label=pgettext_lazy("clinical", "Outcome"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=5000)
    phenotypes = forms.CharField(label=_("Phenotype terms present (HPO ids, e.g. HP:0001250)"), required=False,
                                 max_length=1000)
    excluded_phenotypes = forms.CharField(
        label=_("Phenotype terms checked and absent (HPO ids)"), required=False, max_length=1000,
        help_text=_("Findings looked for and not present; matching counts them against patients who have them."))
    genes = forms.CharField(label=_("Candidate genes (HGNC symbols or Ensembl ids, optional)"), required=False,
                            max_length=300)
    hpo_q = forms.CharField(label=_("Find an HPO term (English or Chinese)"), required=False, max_length=100)

    def clean_phenotypes(self) -> list[str]:
        return list(dict.fromkeys(re.findall(r"HP:\d{7}", self.cleaned_data.get("phenotypes", "").upper())))

    def clean_excluded_phenotypes(self) -> list[str]:
        return list(dict.fromkeys(re.findall(r"HP:\d{7}", self.cleaned_data.get("excluded_phenotypes", "").upper())))

    def clean_genes(self) -> list[str]:
        return [g for g in re.split(r"[\s,;，；]+", self.cleaned_data.get("genes", "")) if g]


class SimilarForm(forms.Form):
    include_test = forms.BooleanField(
        label=_("Include test patients (MME test query: peers answer with their test data and notify nobody)"),
        required=False)


class CiteForm(forms.Form):
    appointment = forms.ModelChoiceField(label=_("Consultation"), queryset=None)  # type: ignore[arg-type]
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), required=False, max_length=300)

    def __init__(self, *args: Any, appointments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        field.queryset = appointments  # type: ignore[attr-defined]
        field.label_from_instance = lambda a: f"#{a.pk} {a.start:%Y-%m-%d %H:%M} {a.patient}"  # type: ignore[attr-defined]


class ForwardForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's e-mail"))
