"""Translatable display names of labels, features and dimensions."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABEL_NAMES = {
    "excellent": _("excellent"), "good": _("good"), "average": _("average"), "poor": _("poor"),
    "very_poor": _("very poor"), "high": _("high level"), "low": _("low level"), "healthy": _("healthy"),
    "broad": _("broad"),
}
DIMENSION_NAMES = {
    "learning": _("Learning"), "economic": _("Economic"), "health": _("Health"), "interest": _("Interest"),
    "portrait": _("Portrait types (all dimensions)"), "engagement": _("Engagement"), "adherence": _("Adherence"),
}
FEATURE_NAMES = {
    "wavg_score": _("weighted average score"), "failed_courses": _("failed courses per year"),
    "consumption_frequency": _("canteen payments per semester"), "single_amount": _("single payment (yuan)"),
    "medical_visits": _("medical visits per month"), "psych_consultations": _("counselling sessions per month"),
    "exercise": _("exercise sessions per month"), "book_borrowing": _("book loans per month"),
    "volunteer": _("volunteer services per month"), "online_days": _("online days per month"),
    "appointments": _("appointments"), "consultations": _("consultations"), "spend": _("pharmacy spend"),
    "active_problems": _("active problems"), "abnormal_observations": _("out-of-range observations"),
    "doses_taken_pct": _("doses taken (%)"),
    "visit_regularity": _("months with a visit (share of the last 12)"),
    "measurements_per_month": _("own measurements per month"),
    "risk_level": _("health-risk band (0 low – 4 very high)"),
}
