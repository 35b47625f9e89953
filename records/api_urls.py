"""records' API routes, under /api/consult/ as before the split."""
from __future__ import annotations

from django.urls import path

from .apis import prescriptions as rx
from .apis import records as rec
from .apis import reminders as rem

P = "records/patients/<int:patient_id>/"
urlpatterns = [
    path(f"{P}summary/", rec.SummaryApi.as_view(), name="api-records-summary"),
    path(f"{P}allergies/", rec.AllergyListApi.as_view(), name="api-records-allergies"),
    path(f"{P}allergies/<int:allergy_id>/status/", rec.AllergyStatusApi.as_view(), name="api-records-allergy-status"),
    path(f"{P}problems/", rec.ProblemListApi.as_view(), name="api-records-problems"),
    path(f"{P}problems/<int:problem_id>/resolve/", rec.ProblemResolveApi.as_view(), name="api-records-problem-resolve"),
    path(f"{P}observations/", rec.ObservationListApi.as_view(), name="api-records-observations"),
    path(f"{P}documents/", rec.DocumentListApi.as_view(), name="api-records-documents"),
    path(f"{P}timeline/", rec.TimelineApi.as_view(), name="api-records-timeline"),
    path("prescriptions/", rx.PrescriptionListApi.as_view(), name="api-prescriptions"),
    path("prescriptions/<int:prescription_id>/", rx.PrescriptionDetailApi.as_view(), name="api-prescription"),
    path("prescriptions/<int:prescription_id>/cancel/", rx.PrescriptionCancelApi.as_view(), name="api-prescription-cancel"),
    path("doses/", rem.DoseListApi.as_view(), name="api-doses"),
    path("doses/<int:dose_id>/respond/", rem.DoseRespondApi.as_view(), name="api-dose-respond"),
    path("reminder-plans/<int:item_id>/pause/", rem.PlanPauseApi.as_view(), name="api-reminder-plan-pause"),
    path("reminder-plans/<int:item_id>/times/", rem.PlanTimesApi.as_view(), name="api-reminder-plan-times"),
    path("adherence/", rem.AdherenceApi.as_view(), name="api-adherence"),
]
