from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.pages import flash_error, paginate

from . import policy, selectors, services
from .forms import FamilyMemberForm
from .models import AuditAction, ConsentKind, FamilyLink, Role, User
from .policy import access, page

DASHBOARD_TEMPLATES = {
    Role.PATIENT: "accounts/dashboard_patient.html",
    Role.DOCTOR: "accounts/dashboard_doctor.html",
    Role.PHARMACIST: "accounts/dashboard_pharmacist.html",
    Role.COUNSELLOR: "accounts/dashboard_counsellor.html",
    Role.ADMIN: "accounts/dashboard_admin.html",
}


@access("own")
@page()
def dashboard(request: HttpRequest) -> HttpResponse:
    """The landing page of each role; apps add their own cards through their templates."""
    template = DASHBOARD_TEMPLATES.get(request.user.role, "accounts/dashboard_patient.html")
    context = {"family": FamilyLink.objects.filter(principal=request.user).select_related("member")}
    return render(request, template, context)


@access("own")
@page()
def access_log(request: HttpRequest) -> HttpResponse:
    """Who accessed my record: every audit entry about the patient (and family members they act for), the
    emergency (break-glass) accesses with their reasons, and the doctors the record is shared with."""
    subject = request.user
    member_id = request.GET.get("member")
    if member_id:
        subject = policy.obtain(User.objects.all(), member_id if member_id.isdigit() else -1, actor=request.user,
                                object_type="access_log", subject=None,
                                decide=lambda member: policy.acts_for(request.user, member.pk))
    page_ = paginate(request, selectors.audit_events_about(subject), per_page=50)
    return render(request, "accounts/access_log.html", {
        "page": page_, "subject": subject,
        "emergencies": selectors.break_glass_of(subject)[:50],
        "grants": selectors.care_grants_of(subject),
        "doctors": selectors.doctors_to_share_with(subject) if request.user.role == Role.PATIENT else [],
        "member_query": f"member={subject.pk}" if subject.pk != request.user.pk else "",
    })


@require_POST
@access("own", body={"patient": "patient"}, body_rule="patient_side")
@page()
def care_grant_add(request: HttpRequest) -> HttpResponse:
    """The patient (or who acts for them) shares the record with a doctor."""
    raw_patient = request.POST.get("patient") or str(request.user.pk)
    try:
        services.care_grant_create(actor=request.user, patient_id=int(raw_patient) if raw_patient.isdigit() else -1,
                                   doctor_id=int(request.POST.get("doctor") or 0)
                                   if (request.POST.get("doctor") or "").isdigit() else 0,
                                   reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("The doctor can now read this record. You can end this at any time."))
    return _back_to_access_log(request, raw_patient)


@require_POST
@access("patient_side", objects={"grant_id": "care_grant"})
@page()
def care_grant_end(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = services.care_grant_revoke(actor=request.user, grant_id=grant_id)
    messages.success(request, _("Sharing with %(doctor)s has ended.") % {"doctor": grant.doctor})
    if request.user.role == Role.DOCTOR:
        return redirect(reverse("records:record", args=[grant.patient_id]))
    return _back_to_access_log(request, str(grant.patient_id))


def _back_to_access_log(request: HttpRequest, patient_id: str) -> HttpResponse:
    url = reverse("access_log")
    if patient_id.isdigit() and int(patient_id) != request.user.pk:
        url += f"?member={patient_id}"
    return redirect(url)


@access("own", body={"patient": "patient"}, body_rule="break_glass",
        samples={"reason": "Unconscious patient in the emergency room", "confirm": "1"})
@page("break_glass.open")
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Break-glass: a doctor without a care relation opens a record in an emergency, giving a reason."""
    values = {"patient": request.POST.get("patient", request.GET.get("patient", "")).strip(),
              "reason": request.POST.get("reason", "")}
    if request.method == "POST":
        raw = values["patient"]
        if not request.POST.get("confirm"):
            messages.error(request, _("Confirm that this is an emergency and that you will be held to account."))
        else:
            try:
                access_row = services.break_glass_open(actor=request.user, patient_id=int(raw) if raw.isdigit()
                                                       else -1, reason=values["reason"])
            except ApplicationError as exc:
                if isinstance(exc, policy.AccessRefused):
                    messages.error(request, str(exc.message))
                else:
                    flash_error(request, exc)
            else:
                messages.warning(request, _("Emergency access until %(until)s. It is recorded, shown to the patient "
                                            "and reviewed.") % {"until": access_row.expires_at.astimezone()
                                                                .strftime("%Y-%m-%d %H:%M")})
                return redirect(reverse("records:record", args=[access_row.patient_id]))
    return render(request, "accounts/emergency_access.html", {
        "values": values, "minutes": services.break_glass_minutes(),
        "recent": selectors.break_glass_by(request.user)[:10],
    })


@access("admin")
@page("break_glass.review")
def emergency_review(request: HttpRequest) -> HttpResponse:
    """Administrators review every emergency access (newest first; the unreviewed ones marked)."""
    if request.method == "POST":
        raw = request.POST.get("access", "")
        services.break_glass_review(actor=request.user, access_id=int(raw) if raw.isdigit() else -1,
                                    note=request.POST.get("note", ""))
        messages.success(request, _("Marked as reviewed."))
        return redirect(reverse("emergency_review") + ("?all=1" if request.GET.get("all") else ""))
    show_all = request.GET.get("all") == "1"
    page_ = paginate(request, selectors.break_glass_for_review(include_reviewed=show_all), per_page=50)
    return render(request, "accounts/emergency_review.html", {"page": page_, "show_all": show_all,
                                                              "query": "all=1" if show_all else ""})


@access("own")
@page("family.manage")
def family(request: HttpRequest) -> HttpResponse:
    form = FamilyMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.family_member_add(principal=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("%(name)s was added to your family.") % {"name": member.full_name})
            return redirect("family")
    links = FamilyLink.objects.filter(principal=request.user).select_related("member__patient_profile")
    return render(request, "accounts/family.html", {"form": form, "links": links})


@access("own")
@page()
def consents(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        action = request.POST.get("action")
        try:
            if action == "grant":
                services.consent_grant(user=request.user, kind=kind)
                messages.success(request, _("Thank you: your consent was recorded."))
            elif action == "withdraw":
                services.consent_withdraw(user=request.user, kind=kind)
                messages.success(request, _("Your consent was withdrawn. We will no longer use your data for this."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("consents")
    current = selectors.consents_for(request.user)
    rows = [(kind, label, current[kind]) for kind, label in ConsentKind.choices]
    return render(request, "accounts/consents.html", {"rows": rows})


@access("own")
@page()
def notifications(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notifications_for(request.user))
    return render(request, "accounts/notifications.html", {"page": page})


@require_POST
@access("own")
@page()
def notifications_read(request: HttpRequest) -> HttpResponse:
    pk = request.POST.get("id")
    services.notification_mark_read(user=request.user, notification_id=int(pk) if pk and pk.isdigit() else None)
    return redirect(request.POST.get("next") or reverse("notifications"))


@access("own")
@page()
def profile(request: HttpRequest) -> HttpResponse:
    services.audit_record(actor=request.user, action=AuditAction.READ, object_type="profile",
                          object_id=request.user.pk, subject=request.user)
    return render(request, "accounts/profile.html", {"profile_user": request.user})


@access("patient_record", objects={"user_id": "patient"})
@page()
def user_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    """Another person's profile: themselves, the family member acting for them, a doctor who may read their
    record. Everyone else is refused (audited) as not found."""
    target = policy.obtain(User.objects.select_related("patient_profile"), user_id, actor=request.user,
                           object_type="profile", subject="self", decide=lambda t: _may_see_profile(request.user, t))
    services.audit_record(actor=request.user, action=AuditAction.READ, object_type="profile",
                          object_id=target.pk, subject=target)
    return render(request, "accounts/profile.html", {"profile_user": target})


def _may_see_profile(actor: User, target: User) -> policy.Decision:
    # Administrators read account metadata in the admin site, not here.
    if actor.pk == target.pk:
        return policy.allow("self")
    return policy.patient_record(actor, target.pk)


@access("admin")
@page("audit.read")
def audit_log(request: HttpRequest) -> HttpResponse:
    """The whole audit log for administrators, with the result of verifying the hash chain."""
    from .models import AuditEvent

    page = paginate(request, AuditEvent.objects.order_by("-seq"), per_page=100)
    report = services.audit_chain_verify() if request.GET.get("verify") else None
    return render(request, "accounts/audit_log.html", {"page": page, "report": report})
