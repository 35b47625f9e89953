"""Readable names for the audit log's object types, for the people whose data it is ("who accessed my data").

The log stores a short technical type ("pharmacy.order"); the page shows it in the reader's language. A type
not listed here is shown as stored.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OBJECT_TYPES = {
    "access_log": _("access log"),
    "allergy": _("allergy"),
    "appointment": _("appointment"),
    "consent": _("consent"),
    "consultation": _("online consultation"),
    "consultation_attachment": _("consultation attachment"),
    "dose": _("medication dose"),
    "encounter": _("encounter notes"),
    "family_member": _("family member"),
    "fhir_bundle": _("record export (FHIR)"),
    "follow_up": _("follow-up proposal"),
    "health_document": _("health document"),
    "health_record": _("health record"),
    "observation": _("measurement"),
    "patient": _("patient"),
    "pharmacy.order": _("medicine order"),
    "portraits.result": _("student portrait"),
    "portraits.student": _("student portrait"),
    "prescription": _("prescription"),
    "problem": _("problem list entry"),
    "profile": _("profile"),
    "rarecases.case": _("rare case"),
    "reminder_plan": _("medication reminders"),
    "risk_assessment": _("health-risk information"),
    "risk_factors": _("health-risk answers"),
    "timeline": _("record timeline"),
    "waitlist": _("waitlist entry"),
}


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type, object_type))
