"""What the policy answers: a decision with the rule that made it and, for a refusal, a stable reason code."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class Reason(StrEnum):
    """Reason codes stored on refusal audit rows (stable strings: reports and tests filter by them)."""

    ANONYMOUS = "anonymous"                  # not logged in
    ROLE = "role"                            # this role never may
    NOT_OWN = "not_own"                      # a patient asking for someone they do not act for
    NOT_PARTY = "not_party"                  # not the patient side nor the doctor of this appointment
    NOT_AUTHOR = "not_author"                # only the doctor who wrote it may change it
    NOT_OWNER = "not_owner"                  # somebody else's schedule, cart, order …
    NO_CARE_RELATION = "no_care_relation"    # a doctor without a care relation, grant or emergency access
    NO_CLINICAL_ACCESS = "no_clinical_access"  # an administrator reads clinical content only by break-glass
    NOT_IN_QUEUE = "not_in_queue"            # a pharmacist and an order that is not in the review queue
    NOT_IN_COHORT = "not_in_cohort"          # a counsellor and a student of another cohort
    NO_SUCH_OBJECT = "no_such_object"        # the id names nothing (answered exactly like someone else's)
    REASON_REQUIRED = "reason_required"      # break-glass without a reason
    OUTSIDE_WINDOW = "outside_window"        # a video room outside its time (before it opens, after it closes)
    NOT_OPEN = "not_open"                    # a video room of a cancelled, missed or finished appointment
    UNPAID = "unpaid"                        # a video room of an appointment whose fee is not paid


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def allow(rule: str) -> Decision:
    return Decision(True, rule)


def deny(reason: Reason | str, rule: str = "") -> Decision:
    return Decision(False, rule, str(reason))
