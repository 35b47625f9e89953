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


def alert_update_many(*, user: Any, alert_ids: list[int], state: str, note: str = "") -> int:
    """Set the state (and, when given, the note) of several alerts at once, all or nothing. Each id goes through the
    access policy first (alert_for: an alert outside the user's cohort is refused, audited, as not found, and
    nothing is written). Raises ApplicationError on a bad state or an empty selection. Returns the count."""
    from ..selectors import alert_for

    ids = sorted(set(alert_ids))
    if not ids:
        raise ApplicationError(_("Select at least one alert."))
    if state not in AlertState.values:
        raise ApplicationError(_("Unknown alert state."))
    for alert_id in ids:
        alert_for(actor=user, alert_id=alert_id)
    with transaction.atomic():
        # Row locks in id order: two counsellors saving overlapping selections cannot deadlock or interleave.
        alerts = list(alerts_visible_to(user).select_for_update(of=("self",)).filter(id__in=ids).order_by("id"))
        if len(alerts) != len(ids):
            raise NotFound(_("No such alert."))
        for alert in alerts:
            alert.state = state
            if note.strip():
                alert.note = note.strip()[:4000]
            if alert.owner_id is None:
                alert.owner = user
            alert.save(update_fields=["state", "note", "owner", "updated_at"])
    return len(alerts)


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
