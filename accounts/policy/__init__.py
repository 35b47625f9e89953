"""THE access policy: every read and write of someone's health data asks it, every refusal goes through
`refuse()`. Rules in `rules.py` (docs/security.md has them as a table), route declarations in `routes.py`."""
from .decision import Action, Decision, Reason, allow, deny  # noqa: F401
from .refusal import AccessRefused, LoginRequired, RefusedInvalid, RoleRefused, obtain, refuse, require  # noqa: F401
from .routes import ROUTE_RULES, access, declared  # noqa: F401
from .rules import (  # noqa: F401
    CAPABILITIES,
    acts_for,
    appointment_doctor,
    appointment_party,
    author,
    can,
    care_window,
    cohort_filter,
    counsellor_student,
    doctor_care,
    forget,
    owner,
    patient_record,
    patient_side_ids,
    pharmacist_order,
    readable_patients,
    video_room,
)


def __getattr__(name: str):  # noqa: ANN202 - the page and API edges load Django's auth views and DRF lazily
    if name == "page":
        from .pages import page

        return page
    if name == "Allows":
        from .api import Allows

        return Allows
    raise AttributeError(name)
