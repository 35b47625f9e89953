"""portraits reads with permission scoping: a counsellor sees only the colleges and grades of their profile."""
from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from accounts.models import Role, User

from .models import Alert, Result, Run, Student


def _cohort_q(user: User, prefix: str = "") -> Q | None:
    """None = everything (admin); an impossible Q for users without a counsellor profile."""
    if user.role == Role.ADMIN or user.is_superuser:
        return None
    profile = getattr(user, "counsellor_profile", None)
    if user.role != Role.COUNSELLOR or profile is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}college__in": list(profile.colleges or []), f"{prefix}grade__in": list(profile.grades or [])})


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
