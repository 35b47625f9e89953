"""Forms of the consult booking side (shape only; the rules live in the services)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from platform_site import forms

from .models import SlotKind, Weekday


class BookingForm(forms.Form):
    slot = forms.IntegerField(widget=forms.HiddenInput)
    patient = forms.IntegerField(label=_("Patient"), required=False)
    reason = forms.CharField(label=_("Reason for the visit"), max_length=300)
    symptoms = forms.CharField(label=_("Symptoms"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ScheduleForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day of the week"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=5, max_value=240, initial=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=SlotKind.choices)


class LeaveForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class EncounterForm(forms.Form):
    chief_complaint = forms.CharField(label=_("Chief complaint"), widget=forms.Textarea(attrs={"rows": 2}),
                                      required=False)
    history = forms.CharField(label=pgettext_lazy("medical", "History"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    assessment = forms.CharField(label=_("Assessment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    plan = forms.CharField(label=_("Plan"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    diagnoses = forms.CharField(label=_("Diagnoses (ICD-10 codes, comma-separated; the first is primary)"),
                                max_length=300, required=False)
    reason = forms.CharField(label=_("Reason for the amendment"), max_length=300, required=False)
