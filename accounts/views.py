from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .errors import ApplicationError
from .forms import FamilyMemberForm
from .models import AuditAction, ConsentKind, FamilyLink, Role
from .pages import flash_error, paginate, role_required

DASHBOARD_TEMPLATES = {
    Role.PATIENT: "accounts/dashboard_patient.html",
    Role.DOCTOR: "accounts/dashboard_doctor.html",
    Role.PHARMACIST: "accounts/dashboard_pharmacist.html",
    Role.COUNSELLOR: "accounts/dashboard_counsellor.html",
    Role.ADMIN: "accounts/dashboard_admin.html",
}


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("account_login")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The landing page of each role; apps add their own cards through their templates."""
    template = DASHBOARD_TEMPLATES.get(request.user.role, "accounts/dashboard_patient.html")
    context = {"family": FamilyLink.objects.filter(principal=request.user).select_related("member")}
    return render(request, template, context)


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """Who accessed my record: every audit entry about the patient (and family members they act for)."""
    subject = request.user
    member_id = request.GET.get("member")
    if member_id:
        subject = selectors.patients_actable_by(request.user).filter(pk=member_id).first()
        if subject is None:
            services.audit_denied(actor=request.user, object_type="access_log", object_id=member_id)
            return render(request, "404.html", status=404)
    page = paginate(request, selectors.audit_events_about(subject), per_page=50)
    return render(request, "accounts/access_log.html", {"page": page, "subject": subject})


@role_required(Role.PATIENT)
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


@login_required
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


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notifications_for(request.user))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    pk = request.POST.get("id")
    services.notification_mark_read(user=request.user, notification_id=int(pk) if pk and pk.isdigit() else None)
    return redirect(request.POST.get("next") or reverse("notifications"))


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    services.audit_record(actor=request.user, action=AuditAction.READ, object_type="profile",
                          object_id=request.user.pk, subject=request.user)
    return render(request, "accounts/profile.html", {"profile_user": request.user})


@login_required
def user_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    """Another person's profile: only their doctors (via consult) or admins; everyone else gets a 404."""
    from .models import User

    target = User.objects.filter(pk=user_id).first()
    allowed = target is not None and (
        request.user.role == Role.ADMIN
        or target.pk == request.user.pk
        or selectors.user_can_act_for(request.user, target)
    )
    if not allowed:
        services.audit_denied(actor=request.user, object_type="profile", object_id=user_id, subject=target)
        return render(request, "404.html", status=404)
    services.audit_record(actor=request.user, action=AuditAction.READ, object_type="profile",
                          object_id=target.pk, subject=target)
    return render(request, "accounts/profile.html", {"profile_user": target})


@role_required(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The whole audit log for administrators, with the result of verifying the hash chain."""
    from .models import AuditEvent

    page = paginate(request, AuditEvent.objects.order_by("-seq"), per_page=100)
    report = services.audit_chain_verify() if request.GET.get("verify") else None
    return render(request, "accounts/audit_log.html", {"page": page, "report": report})
