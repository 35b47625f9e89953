from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from platform_site import forms

from .models import AlertState


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.xlsx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):  # type: ignore[no-untyped-def]
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(label=_("Campus export files (CSV or Excel)"))


class RunForm(forms.Form):
    period = forms.RegexField(label=_("Period"), regex=r"^\d{4}(-[12])?$", initial="2023",
                              help_text=_("A year (2023) or a half-year (2023-1, 2023-2)."))
    k = forms.CharField(label=_("Number of clusters k"), initial="5", help_text=_("auto, or 2–10"))


class AlertBulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)
    state = forms.ChoiceField(label=_("State"), choices=AlertState.choices)
    note = forms.CharField(label=pgettext_lazy("alert", "Note"), required=False, max_length=4000)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Any whole number is offered: the access policy, not the form, decides which ids the user may change.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit()]


class AlertForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=AlertState.choices)
    note = forms.CharField(label=pgettext_lazy("alert", "Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
