"""The front door at `/`: what the hospital offers, for visitors; a logged-in user's `/` is their dashboard."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.policy import access

from ..selectors import booking as sel
from ..services import payments


@access("public")
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "consult/home.html", {
        "departments": sel.departments_with_doctors(), "fees": sel.fee_range(),
        "hold_minutes": int(payments.payment_hold().total_seconds() // 60),
        "refund_hours": f"{payments.refund_cutoff().total_seconds() / 3600:g}",
    })
