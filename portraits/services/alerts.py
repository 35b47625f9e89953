"""Alert inbox and rule edits."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, NotFound

from ..analysis.rules import DEFAULT_RULE_PARAMS
from ..models import Alert, AlertState, InterventionRule
from ..selectors import alerts_visible_to


@transaction.atomic
def alert_update(*, user: Any, alert_id: int, state: str, note: str = "") -> Alert:
    """Change an alert's state and note. NotFound outside the user's cohort; ApplicationError on a bad state."""
    if state not in AlertState.values:
        raise ApplicationError(_("Unknown alert state."))
    # Row lock: two counsellors saving the same alert at once must not interleave their note/state writes.
    alert = alerts_visible_to(user).select_for_update(of=("self",)).filter(id=alert_id).first()
    if alert is None:
        raise NotFound(_("No such alert."))
    alert.state = state
    alert.note = note.strip()[:4000]
    if alert.owner_id is None:
        alert.owner = user
    alert.save(update_fields=["state", "note", "owner", "updated_at"])
    return alert


@transaction.atomic
def rule_update(*, rule_id: int, enabled: bool, params: dict[str, Any]) -> InterventionRule:
    """Edit a rule's thresholds; only known, numeric thresholds are accepted."""
    rule = InterventionRule.objects.select_for_update().filter(id=rule_id).first()
    if rule is None:
        raise NotFound(_("No such rule."))
    allowed = DEFAULT_RULE_PARAMS.get(rule.kind, {})
    clean: dict[str, float] = {}
    for key, value in params.items():
        if key not in allowed:
            raise ApplicationError(_("Unknown threshold: %(key)s") % {"key": key})
        try:
            clean[key] = float(value)
        except (TypeError, ValueError):
            raise ApplicationError(_("Threshold %(key)s must be a number.") % {"key": key}) from None
        if clean[key] < 0:
            raise ApplicationError(_("Threshold %(key)s must not be negative.") % {"key": key})
    rule.enabled = enabled
    rule.params = {**allowed, **rule.params, **clean}
    rule.save(update_fields=["enabled", "params", "updated_at"])
    return rule
