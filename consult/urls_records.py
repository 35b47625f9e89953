"""Pages of the records side (mounted at "/"), and the FHIR endpoint."""
from __future__ import annotations

from django.urls import path

from .apis.fhir import PatientEverythingApi
from .views import prescriptions as rx
from .views import records as rec
from .views import reminders as rem

urlpatterns = [
    path("records/", rec.records_home, name="records-home"),
    path("records/<id:patient_id>/", rec.record_detail, name="records-record"),
    path("records/<id:patient_id>/measurements/", rec.observation_add, name="records-observation-add"),
    path("records/<id:patient_id>/allergies/", rec.allergy_add, name="records-allergy-add"),
    path("records/<id:patient_id>/problems/", rec.problem_add, name="records-problem-add"),
    path("records/<id:patient_id>/problems/<id:problem_id>/resolve/", rec.problem_resolve,
         name="records-problem-resolve"),
    path("records/<id:patient_id>/documents/", rec.document_upload, name="records-document-upload"),
    path("records/documents/<id:document_id>/", rec.document_download, name="records-document"),
    path("records/<id:patient_id>/timeline/", rec.timeline, name="records-timeline"),
    path("records/<id:patient_id>/fhir.json", rec.fhir_download, name="records-fhir-download"),
    path("prescriptions/", rx.prescription_list, name="records-prescriptions"),
    path("prescriptions/<id:prescription_id>/", rx.prescription_detail, name="records-prescription"),
    path("prescriptions/<id:prescription_id>/cancel/", rx.prescription_cancel, name="records-prescription-cancel"),
    path("encounters/<id:encounter_id>/prescribe/", rx.prescribe, name="records-prescribe"),
    path("medication/", rem.medication, name="records-medication"),
    path("medication/doses/<id:dose_id>/", rem.dose_detail, name="records-dose"),
    path("medication/doses/<id:dose_id>/respond/", rem.dose_respond, name="records-dose-respond"),
    path("medication/items/<id:item_id>/pause/", rem.plan_pause, name="records-plan-pause"),
    path("medication/items/<id:item_id>/times/", rem.plan_times, name="records-plan-times"),
    path("fhir/Patient/<id:patient_id>/$everything", PatientEverythingApi.as_view(), name="fhir-patient-everything"),
]
