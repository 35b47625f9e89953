"""records pages (mounted at "/": the paths are those of before the split), and the FHIR endpoint."""
from __future__ import annotations

from django.urls import path

from .apis.fhir import PatientEverythingApi
from .views import prescriptions as rx
from .views import records as rec
from .views import reminders as rem

app_name = "records"
urlpatterns = [
    path("records/", rec.records_home, name="home"),
    path("records/<int:patient_id>/", rec.record_detail, name="record"),
    path("records/<int:patient_id>/measurements/", rec.observation_add, name="observation-add"),
    path("records/<int:patient_id>/allergies/", rec.allergy_add, name="allergy-add"),
    path("records/<int:patient_id>/problems/", rec.problem_add, name="problem-add"),
    path("records/<int:patient_id>/problems/<int:problem_id>/resolve/", rec.problem_resolve,
         name="problem-resolve"),
    path("records/<int:patient_id>/documents/", rec.document_upload, name="document-upload"),
    path("records/documents/<int:document_id>/", rec.document_download, name="document"),
    path("records/<int:patient_id>/timeline/", rec.timeline, name="timeline"),
    path("records/<int:patient_id>/fhir.json", rec.fhir_download, name="fhir-download"),
    path("prescriptions/", rx.prescription_list, name="prescriptions"),
    path("prescriptions/<int:prescription_id>/", rx.prescription_detail, name="prescription"),
    path("prescriptions/<int:prescription_id>/cancel/", rx.prescription_cancel, name="prescription-cancel"),
    path("encounters/<int:encounter_id>/prescribe/", rx.prescribe, name="prescribe"),
    path("medication/", rem.medication, name="medication"),
    path("medication/doses/<int:dose_id>/", rem.dose_detail, name="dose"),
    path("medication/doses/<int:dose_id>/respond/", rem.dose_respond, name="dose-respond"),
    path("medication/items/<int:item_id>/pause/", rem.plan_pause, name="plan-pause"),
    path("medication/items/<int:item_id>/times/", rem.plan_times, name="plan-times"),
    path("fhir/Patient/<int:patient_id>/$everything", PatientEverythingApi.as_view(), name="fhir-patient-everything"),
]
