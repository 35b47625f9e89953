"""Pages of ratings: give or change a rating, the doctor's reply, the moderators' queue."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error, paginate

from ..selectors import ratings as rsel
from ..services import ratings as rsvc


@require_POST
@access("patient_side", objects={"appointment_id": "appointment"}, samples={"stars": "4"})
@page("booking.book")
def rating_give(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        rsvc.rating_give(actor=request.user, appointment_id=appointment_id, stars=request.POST.get("stars"),
                         comment=request.POST.get("comment", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Thank you. Your rating is saved; a comment is shown once a moderator "
                                    "approved it."))
    return redirect("consult:appointment_detail", appointment_id=appointment_id)


@require_POST
@access("appointment_doctor", objects={"rating_id": "rating"}, samples={"reply": "Thank you"})
@page("console.use")
def rating_reply(request: HttpRequest, rating_id: int) -> HttpResponse:
    try:
        rating = rsvc.rating_reply(actor=request.user, rating_id=rating_id, text=request.POST.get("reply", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("consult:doctor_detail", doctor_id=request.user.pk)
    messages.success(request, _("Your reply is saved."))
    return redirect("consult:doctor_detail", doctor_id=rating.doctor_id)


@access("admin")
@page("ratings.moderate")
def moderation(request: HttpRequest) -> HttpResponse:
    page_obj = paginate(request, rsel.moderation_queue(actor=request.user), per_page=20)
    return render(request, "consult/ratings_moderation.html", {"page": page_obj})


@require_POST
@access("admin", objects={"rating_id": "rating"}, samples={"decision": "approve"})
@page("ratings.moderate")
def moderate(request: HttpRequest, rating_id: int) -> HttpResponse:
    try:
        rsvc.rating_moderate(actor=request.user, rating_id=rating_id,
                             approve=request.POST.get("decision") == "approve")
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("The rating is moderated."))
    return redirect("consult:ratings_moderation")
