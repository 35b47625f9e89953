"""Alert inbox and rule edits."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotFound

from ..analysis.rules import DEFAULT_RULE_PARAMS
from ..models import Alert, AlertState, InterventionRule
from ..selectors import alerts_visible_to


def alert_update(*, user: Any, alert_id: int, state: str, note: str = "") -> Alert:
    """Change an alert's state and note. AccessRefused (audited) outside the user's cohort; ApplicationError on
    a bad state."""
    from ..selectors import alert_for

    alert_for(actor=user, alert_id=alert_id)  # the policy's cohort rule, before the write transaction
    if state not in AlertState.values:
        raise ApplicationError(_("Unknown alert state."))
    with transaction.atomic():
        return _alert_update(user=user, alert_id=alert_id, state=state, note=note)


def _alert_update(*, user: Any, alert_id: int, state: str, note: str) -> Alert:
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
