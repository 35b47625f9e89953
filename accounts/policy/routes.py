"""Every route declares the rule that guards the objects it names. The generated access test
(tests/accounts/test_access_generated.py) walks the URL resolver and the API schema, reads each view's
declaration, and tries every route against another person's objects as each probe role: a route without a
declaration fails that test, and a 2xx is accepted only where the declared rule allows that role."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

V = TypeVar("V")

ANONYMOUS, PATIENT, DOCTOR, PHARMACIST, COUNSELLOR, ADMIN = (
    "anonymous", "patient", "doctor", "pharmacist", "counsellor", "admin")
EVERYONE = frozenset({ANONYMOUS, PATIENT, DOCTOR, PHARMACIST, COUNSELLOR, ADMIN})
LOGGED_IN = EVERYONE - {ANONYMOUS}


@dataclass(frozen=True)
class RouteRule:
    description: str
    # Probe roles that may get a 2xx for ANOTHER person's object through a route under this rule (the victim's
    # own doctor and the victim are not probe roles). Empty for every rule that guards personal data.
    allows: frozenset[str] = field(default_factory=frozenset)


ROUTE_RULES: dict[str, RouteRule] = {
    "public": RouteRule("Public information (doctors, departments, free slots, the drug catalogue).", EVERYONE),
    "own": RouteRule("Only the caller's own things (their dashboard, notifications, lists of their data).",
                     LOGGED_IN),
    "patient_record": RouteRule("A patient's health record: the patient or their proxy; a doctor with a care "
                                "relation, a shared-care grant or break-glass (read); an admin by break-glass."),
    "patient_side": RouteRule("The patient side only: the patient or a family member acting for them."),
    "appointment_party": RouteRule("An appointment, its consultation and files: its patient side or its doctor."),
    "appointment_doctor": RouteRule("Only the appointment's doctor."),
    "author": RouteRule("Only the doctor who wrote the note or prescription."),
    "owner": RouteRule("Only the account the object belongs to (a schedule, a cart, an order)."),
    "pharmacist_queue": RouteRule("The ordering patient; a pharmacist while the order is in the review queue.",
                                  frozenset({PHARMACIST})),
    "pharmacy_staff": RouteRule("Stock and catalogue management: pharmacists and administrators.",
                                frozenset({PHARMACIST, ADMIN})),
    "counsellor_cohort": RouteRule("Student portraits: a counsellor of the student's cohort; administrators.",
                                   frozenset({ADMIN})),
    "portraits_staff": RouteRule("Portrait runs and imports: counsellors and administrators (runs hold no "
                                 "student's data on their own).", frozenset({COUNSELLOR, ADMIN})),
    "deidentified_case": RouteRule("De-identified rare cases: every doctor (that is what sharing is for).",
                                   frozenset({DOCTOR})),
    "doctor_reference": RouteRule("Medical reference for doctors (the knowledge graph; no patient's data).",
                                  frozenset({DOCTOR})),
    "admin": RouteRule("Administrators only.", frozenset({ADMIN})),
    "break_glass": RouteRule("Emergency access: a doctor or administrator opens a record without a care relation, "
                             "giving a reason (audited as its own event, shown to the patient, reviewed).",
                             frozenset({DOCTOR, ADMIN})),
    "peer": RouteRule("Machine-to-machine: a federation peer signs the request (no user session)."),
}


def access(rule: str, *, objects: dict[str, str] | None = None, body: dict[str, str] | None = None,
           body_rule: str | None = None, samples: dict[str, str] | None = None) -> Callable[[V], V]:
    """Declare the rule of a view (a function or an API view class).

    `objects` names the kind of object each URL id is when the id's name does not say it (`pk="order"`),
    `body` the ids a request body carries (`{"patient": "patient"}`) and `body_rule` the rule that guards
    them, `samples` literal values of other URL parts or body fields (`{"action": "cancel"}`)."""
    if rule not in ROUTE_RULES or (body_rule is not None and body_rule not in ROUTE_RULES):
        raise ValueError(f"unknown access rule {rule!r} / {body_rule!r}")
    if body and body_rule is None:
        raise ValueError("a view that takes ids in its body declares the rule that guards them (body_rule)")

    def mark(view: V) -> V:
        view.access_rule = rule  # type: ignore[attr-defined]
        view.access_objects = dict(objects or {})  # type: ignore[attr-defined]
        view.access_body = dict(body or {})  # type: ignore[attr-defined]
        view.access_samples = dict(samples or {})  # type: ignore[attr-defined]
        view.access_body_rule = body_rule  # type: ignore[attr-defined]
        return view

    return mark


def declared(callback: Any) -> dict[str, Any] | None:
    """The declaration of a resolved view callback, or None."""
    for target in (getattr(callback, "cls", None), getattr(callback, "view_class", None), callback):
        if target is not None and getattr(target, "access_rule", None):
            return {"rule": target.access_rule, "objects": getattr(target, "access_objects", {}),
                    "body": getattr(target, "access_body", {}), "samples": getattr(target, "access_samples", {}),
                    "body_rule": getattr(target, "access_body_rule", None)}
    return None
