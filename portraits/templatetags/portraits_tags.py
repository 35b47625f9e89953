from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from ..names import DIMENSION_NAMES, FEATURE_NAMES, LABEL_NAMES

register = template.Library()


@register.filter
def label_name(code: str) -> Any:
    return LABEL_NAMES.get(code, code)


@register.filter
def dim_name(code: str) -> Any:
    return DIMENSION_NAMES.get(code, code)


@register.filter
def feature_name(code: str) -> Any:
    return FEATURE_NAMES.get(code, code)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key) if hasattr(mapping, "get") else mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def pct(value: Any) -> str:
    try:
        return f"{100 * float(value):.1f} %"
    except (TypeError, ValueError):
        return ""


def _detail_sentence(kind: str, d: dict[str, Any]) -> str:
    if kind == "failed_consecutive":
        (first, second), (n1, n2) = d["semesters"], d["failed"]
        return _("%(n1)s failed course(s) in %(s1)s, %(n2)s in %(s2)s") % {"n1": n1, "s1": first, "n2": n2,
                                                                               "s2": second}
    if kind == "exercise_score_drop":
        return _("exercise %(n)s times a month; weighted score down %(drop)s %%") % {"n": d["exercise"],
                                                                                      "drop": d["drop_pct"]}
    if kind == "counselling_gap":
        return _("last counselling session %(date)s, %(days)s days ago") % {"date": d["last"], "days": d["days"]}
    if kind == "low_borrowing":
        return _("%(n)s books borrowed a month") % {"n": d["per_month"]}
    if kind == "low_consumption":
        return _("canteen spending %(spend)s, at or below the cohort's cut-off %(cutoff)s") % {
            "spend": d["spend"], "cutoff": d["cutoff"]}
    raise KeyError(kind)


@register.filter
def alert_detail(alert: Any) -> str:
    """What fired the alert, as a sentence in the reader's language; the stored values as `key: value` for a rule
    this page does not know (or a detail of another shape)."""
    detail = alert.detail or {}
    try:
        return _detail_sentence(alert.rule.kind, detail)
    except (KeyError, TypeError, ValueError):
        return " · ".join(f"{k}: {v}" for k, v in detail.items())


CRITERION_NAMES = {
    "silhouette": _("silhouette"), "calinski_harabasz": _("Calinski–Harabasz"),
    "davies_bouldin": _("Davies–Bouldin"), "gap": _("gap statistic"), "stability": _("resampling stability"),
    "elbow": _("elbow"), "dunn": _("Dunn"),
}


def _ks(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def _k_reason(r: dict[str, Any]) -> str:
    code = r["code"]
    if code == "unstable":
        return _("k = %(ks)s left out: under resampling their clusters change (stability below %(floor)s).") % {
            "ks": _ks(r["ks"]), "floor": r["floor"]}
    if code == "none_stable":
        return _("No k reached the stability floor; the most stable one, k = %(k)s (%(s)s), is used — treat the "
                 "clusters with caution.") % {"k": r["k"], "s": r["stability"]}
    if code == "chosen":
        agree = ", ".join(str(CRITERION_NAMES.get(a, a)) for a in r["agree"]) or _("none on its own")
        return _("k = %(k)s has the best combined rank of the five criteria among the stable candidates "
                 "(%(cands)s): rank sum %(b)s, stability %(s)s. Criteria whose own best k is %(k)s: %(agree)s.") % {
            "k": r["k"], "cands": _ks(r["candidates"]), "b": r["borda"], "s": r["stability"], "agree": agree}
    if code == "runner_up":
        return _("Next best: k = %(k)s (rank sum %(b)s).") % {"k": r["k"], "b": r["borda"]}
    if code == "fewer_than_asked":
        return _("You asked for k = %(asked)s; the data support fewer clusters (k = %(k)s). With %(asked)s some "
                 "clusters are split arbitrarily.") % {"asked": r["asked"], "k": r["k"]}
    if code == "more_than_asked":
        return _("You asked for k = %(asked)s; the data support more clusters (k = %(k)s): some clusters "
                 "merge groups that differ.") % {"asked": r["asked"], "k": r["k"]}
    raise KeyError(code)


@register.filter
def k_reason(reason: Any) -> str:
    """One reason of the k decision (clustering.decide_k) as a sentence in the reader's language."""
    try:
        return _k_reason(reason)
    except (KeyError, TypeError, ValueError):
        return str(reason)


@register.filter
def criterion_name(code: str) -> Any:
    return CRITERION_NAMES.get(code, code)


@register.filter
def weighting_name(code: str) -> Any:
    return {"wkmeans": _("W-K-means (within-cluster dispersion)"),
            "entropy_gain": _("entropy information gain (the paper's)"), "none": _("none")}.get(code, code)


@register.filter
def jsonify(value: Any) -> str:
    import json

    from django.utils.safestring import mark_safe

    return mark_safe(json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
