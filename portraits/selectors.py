"""portraits reads with permission scoping: a counsellor sees only the colleges and grades of their profile."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role, User

from .models import Alert, InterventionRule, Result, Run, Student


def _cohort_q(user: User, prefix: str = "") -> Q | None:
    """The access policy's cohort rule as a filter: None = every student (admin); nothing for non-counsellors."""
    return policy.cohort_filter(user, prefix)


def run_for(*, actor: Any, run_id: int) -> Run:
    """A run the actor may open (counsellors: student runs; admins: all); otherwise refused (audited)."""
    return policy.obtain(Run.objects.all(), run_id, actor=actor, object_type="portraits.run", subject=None,
                         decide=lambda run: (policy.can(actor, "portraits.use")
                                             if runs_visible_to(actor).filter(pk=run.pk).exists()
                                             else policy.deny(policy.Reason.ROLE, "portraits_staff")),
                         message=_("No such run."))


def _result_decision(actor: Any, result: Result) -> policy.Decision:
    if result.student_id is None:  # a patient portrait: administrators only here
        return (policy.allow("portraits_admin") if getattr(actor, "role", None) == Role.ADMIN
                else policy.deny(policy.Reason.ROLE, "counsellor_cohort"))
    return policy.counsellor_student(actor, college=result.student.college, grade=result.student.grade)


def result_for(*, actor: Any, run: Run, result_id: int) -> Result:
    """One portrait of a run, for a counsellor of the student's cohort (or an admin); otherwise refused."""
    return policy.obtain(Result.objects.filter(run=run).select_related("student", "patient"), result_id,
                         actor=actor, object_type="portraits.result", subject=None,
                         decide=lambda r: _result_decision(actor, r), message=_("No such portrait."))


def alert_for(*, actor: Any, alert_id: int) -> Alert:
    """One alert about a student of the actor's cohort; otherwise refused (audited) as not found."""
    return policy.obtain(Alert.objects.select_related("student", "rule", "owner", "run"), alert_id, actor=actor,
                         object_type="portraits.alert", subject=None, action=policy.Action.WRITE,
                         decide=lambda a: policy.counsellor_student(actor, college=a.student.college,
                                                                    grade=a.student.grade),
                         message=_("No such alert."))


def students_visible_to(user: User) -> QuerySet[Student]:
    q = _cohort_q(user)
    return Student.objects.all() if q is None else Student.objects.filter(q)


def runs_visible_to(user: User) -> QuerySet[Run]:
    """Admins see every run; counsellors only student runs (patient portraits are not their cohort)."""
    if user.role == Role.ADMIN or user.is_superuser:
        return Run.objects.all()
    if user.role == Role.COUNSELLOR:
        return Run.objects.filter(kind="students")
    return Run.objects.none()


def results_visible_to(user: User, run: Run) -> QuerySet[Result]:
    qs = Result.objects.filter(run=run).select_related("student", "patient")
    q = _cohort_q(user, "student__")
    if q is None:
        return qs
    return qs.filter(q) if run.kind == "students" else qs.none()


def result_search(user: User, run: Run, *, q: str = "", college: str = "", grade: str = "",
                  labels: dict[str, str] | None = None) -> QuerySet[Result]:
    qs = results_visible_to(user, run)
    if q:
        qs = qs.filter(student__pseudonym__startswith=q.strip().lower())
    if college:
        qs = qs.filter(student__college=college)
    if grade:
        qs = qs.filter(student__grade=grade)
    for dim, value in (labels or {}).items():
        if value:
            qs = qs.filter(**{f"label_{dim}": value})
    return qs.order_by("student__pseudonym")


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    qs = Alert.objects.select_related("rule", "student", "owner", "run")
    q = _cohort_q(user, "student__")
    return qs if q is None else qs.filter(q)


def owner_resolver() -> Callable[[Student], User | None]:
    """A function giving a student's alert owner: the first active counsellor (by id) whose profile
    covers the student's college and grade. Profiles are loaded once, not per student."""
    from accounts.models import CounsellorProfile

    profiles = list(CounsellorProfile.objects.select_related("user").filter(user__is_active=True,
                                                                            user__role=Role.COUNSELLOR)
                    .order_by("user_id"))

    def resolve(student: Student) -> User | None:
        for p in profiles:
            if student.college in (p.colleges or []) and student.grade in (p.grades or []):
                return p.user
        return None

    return resolve


def rule_flag_counts(*, runs: int = 5) -> dict[int, list[dict[str, Any]]]:
    """Per rule id, for the latest `runs` finished student runs: how many students the run flagged under the rule
    and what share of the run's cohort that is (a rule that flags 41 % of a cohort is visible as such). One
    GROUP BY over the alerts. Cohort-wide counts, no individual row (like a run's centroids)."""
    from django.db.models import Count

    latest = list(Run.objects.filter(kind="students", status="done").order_by("-id")[:runs])
    counts = {(row["rule_id"], row["run_id"]): row["n"] for row in
              Alert.objects.filter(run__in=latest).values("rule_id", "run_id").annotate(n=Count("id")).order_by()}
    out: dict[int, list[dict[str, Any]]] = {}
    for rule_id in InterventionRule.objects.values_list("id", flat=True):
        out[rule_id] = [{"run": r.id, "period": r.period, "n": counts.get((rule_id, r.id), 0),
                         "share": counts.get((rule_id, r.id), 0) / r.n_students if r.n_students else 0.0}
                        for r in latest]
    return out


def alert_inbox_students(user: User, *, state: str = "", rule: str = "", mine: bool = False) -> QuerySet[Student]:
    """The students of the user's cohort with at least one alert matching the filters, each with those alerts
    prefetched as `inbox_alerts` (rule and owner joined): one row per student in the inbox."""
    from django.db.models import Prefetch

    alerts = alerts_visible_to(user)
    if state:
        alerts = alerts.filter(state=state)
    if rule:
        alerts = alerts.filter(rule__kind=rule)
    if mine:
        alerts = alerts.filter(owner=user)
    return (students_visible_to(user).filter(id__in=alerts.values("student_id"))
            .prefetch_related(Prefetch("alerts", queryset=alerts.order_by("rule__kind", "-id"),
                                       to_attr="inbox_alerts"))
            .order_by("pseudonym"))


def patient_portrait_for(*, actor: Any, patient_id: int) -> tuple[User, Result | None, dict[str, Any]]:
    """A patient's behaviour portrait (the latest finished patients run), for the patient themself, a proxy, or a
    doctor with a care relation (the policy's patient_record rule); anyone else is refused (one audit row, 404).
    Returns (patient, result or None when the patient has no portrait, the run's cohort means)."""
    from .models import RunKind, RunStatus

    patient = policy.obtain(User.objects.filter(role=Role.PATIENT), patient_id, actor=actor,
                            object_type="portraits.patient", subject="self",
                            decide=lambda p: policy.patient_record(actor, p.pk), message=_("No such patient."))
    run = Run.objects.filter(kind=RunKind.PATIENTS, status=RunStatus.DONE).order_by("-finished_at", "-pk").first()
    result = Result.objects.filter(run=run, patient=patient).first() if run else None
    return patient, result, (run.metrics.get("cohort_scores", {}) if run else {})
