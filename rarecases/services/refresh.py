"""S1010–S1040: gather related data for the followed cases and push what is new to their followers."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import notify

from ..models import Case, CaseFollow, CaseReference


def _related(case: Case) -> list[Case]:
    """S1010: cases sharing a 3-character code, the ICD-10 block or an Orphanet class (other case UUIDs)."""
    q = Q(category=case.category) if case.category else Q(pk__in=[])
    for c in case.codes:
        q |= Q(search_text__contains=f"|code:{c.get('code', '')[:3].lower()}")
    for o in case.orpha:
        q |= Q(search_text__contains=f"|orpha:{o.get('id', '').lower()}")
    return list(Case.objects.current().filter(q).exclude(case_uuid=case.case_uuid).order_by("-created_at")[:50])


def case_refresh_all() -> dict[str, int]:
    """For every followed case: record newly related cases as references (S1030), then notify every
    follower once per reference not yet pushed (S1040). Idempotent: unique references, notify()
    de-duplicates by key."""
    found = notified = 0
    followed = set(CaseFollow.objects.values_list("origin", "case_uuid"))
    for origin, case_uuid in followed:
        case = Case.objects.current().filter(origin=origin, case_uuid=case_uuid).first()
        if case is None:
            continue
        for other in _related(case):
            try:
                with transaction.atomic():
                    CaseReference.objects.create(origin=origin, case_uuid=case_uuid, related_case=other,
                                                 title=other.title[:300])
                    found += 1
            except IntegrityError:
                pass
        pending = CaseReference.objects.filter(origin=origin, case_uuid=case_uuid, notified_at__isnull=True)
        followers = list(CaseFollow.objects.filter(origin=origin, case_uuid=case_uuid).select_related("user"))
        for ref in pending:
            for follow in followers:
                if notify(user=follow.user, kind="rarecases.related",
                          title=_("New material for a rare case you follow"),
                          body=f"{case.title}: {ref.title}", url=f"/rarecases/cases/{case.pk}/",
                          dedupe_key=f"rarecases:ref:{ref.pk}:{follow.user_id}") is not None:
                    notified += 1
            ref.notified_at = timezone.now()
            ref.save(update_fields=["notified_at"])
    return {"followed": len(followed), "found": found, "notified": notified}
