from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, Relationship, Sex


class LoginForm(AllauthLoginForm):
    """allauth's log-in form; throttled attempts (which never reach authenticate()) are audited too."""

    def clean(self):  # type: ignore[no-untyped-def]
        try:
            return super().clean()
        except ValidationError as exc:
            if any(getattr(e, "code", None) == "too_many_login_attempts" for e in exc.error_list):
                from .audit import audit_record

                attempted = str(self.data.get("login", ""))[:150]
                audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="session",
                             outcome="throttled", actor_label=f"anonymous ({attempted})",
                             detail={"attempted": attempted, "throttled": True})
            raise


class FamilyMemberForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
