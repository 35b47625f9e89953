from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter

from .models import Role


class AccountAdapter(DefaultAccountAdapter):
    """Self sign-up creates patients only; staff accounts are created by administrators."""

    def save_user(self, request, user, form, commit=True):  # type: ignore[no-untyped-def]
        user.role = Role.PATIENT
        user = super().save_user(request, user, form, commit=False)
        user.role = Role.PATIENT
        if request is not None and getattr(request, "LANGUAGE_CODE", None):
            user.preferred_language = request.LANGUAGE_CODE
        if commit:
            user.save()
            from .models import PatientProfile

            PatientProfile.objects.get_or_create(user=user)
        return user
