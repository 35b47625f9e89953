"""Required code bindings of FHIR R4 (4.0.1) that fhir.resources does not enforce, checked on our Bundles.

Value sets copied from the R4 specification (hl7.org/fhir/R4/valueset-*.html)."""
from __future__ import annotations

from typing import Any

REQUIRED: dict[tuple[str, str], set[str]] = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                              "entered-in-error", "unknown"},
    ("Condition", "clinicalStatus"): {"active", "recurrence", "relapse", "inactive", "remission", "resolved"},
    ("Condition", "verificationStatus"): {"unconfirmed", "provisional", "differential", "confirmed", "refuted",
                                          "entered-in-error"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                "entered-in-error", "unknown"},
    ("AllergyIntolerance", "clinicalStatus"): {"active", "inactive", "resolved"},
    ("AllergyIntolerance", "verificationStatus"): {"unconfirmed", "confirmed", "refuted", "entered-in-error"},
    ("AllergyIntolerance", "category"): {"food", "medication", "environment", "biologic"},
    ("AllergyIntolerance", "criticality"): {"low", "high", "unable-to-assess"},
    ("AllergyIntolerance", "reaction.severity"): {"mild", "moderate", "severe"},
    ("MedicationRequest", "status"): {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
                                      "draft", "unknown"},
    ("MedicationRequest", "intent"): {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                                      "instance-order", "option"},
    ("MedicationRequest", "timing.periodUnit"): {"s", "min", "h", "d", "wk", "mo", "a"},
    ("Appointment", "status"): {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow",
                                "entered-in-error", "checked-in", "waitlist"},
    ("Appointment", "participant.status"): {"accepted", "declined", "tentative", "needs-action"},
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response",
                         "history", "searchset", "collection"},
}


def _codes(cc: dict[str, Any] | None) -> list[str]:
    return [c["code"] for c in (cc or {}).get("coding", [])]


def binding_errors(bundle: dict[str, Any]) -> list[str]:
    errors: list[str] = []

    def check(rtype: str, path: str, values: list[str] | str | None, required: bool = True) -> None:
        allowed = REQUIRED[(rtype, path)]
        if values is None or values == []:
            if required:
                errors.append(f"{rtype}.{path} missing")
            return
        for v in [values] if isinstance(values, str) else values:
            if v not in allowed:
                errors.append(f"{rtype}.{path}={v!r} not in the required value set")

    check("Bundle", "type", bundle.get("type"))
    for entry in bundle.get("entry", []):
        r = entry["resource"]
        t = r["resourceType"]
        if t == "Patient":
            check(t, "gender", r.get("gender"), required=False)
        elif t == "Encounter":
            check(t, "status", r.get("status"))
        elif t == "Condition":
            check(t, "clinicalStatus", _codes(r.get("clinicalStatus")))
            check(t, "verificationStatus", _codes(r.get("verificationStatus")), required=False)
        elif t == "Observation":
            check(t, "status", r.get("status"))
        elif t == "AllergyIntolerance":
            check(t, "clinicalStatus", _codes(r.get("clinicalStatus")), required=False)
            check(t, "verificationStatus", _codes(r.get("verificationStatus")), required=False)
            check(t, "category", r.get("category"), required=False)
            check(t, "criticality", r.get("criticality"), required=False)
            for reaction in r.get("reaction", []):
                check(t, "reaction.severity", reaction.get("severity"), required=False)
        elif t == "MedicationRequest":
            check(t, "status", r.get("status"))
            check(t, "intent", r.get("intent"))
            for dosage in r.get("dosageInstruction", []):
                check(t, "timing.periodUnit", dosage.get("timing", {}).get("repeat", {}).get("periodUnit"),
                      required=False)
        elif t == "Appointment":
            check(t, "status", r.get("status"))
            for p in r.get("participant", []):
                check(t, "participant.status", p.get("status"))
    return errors
