"""records pages (mounted at "/": the paths are those of before the split), and the FHIR endpoint."""
from __future__ import annotations

from django.urls import path

from .apis.fhir import CapabilityStatementApi, PatientEverythingApi
from .views import compliance
from .views import prescriptions as rx
from .views import records as rec
from .views import reminders as rem

app_name = "records"
urlpatterns = [
    path("records/", rec.records_home, name="home"),
    path("records/<id:patient_id>/", rec.record_detail, name="record"),
    path("records/<id:patient_id>/measurements/", rec.observation_add, name="observation-add"),
    path("records/<id:patient_id>/allergies/", rec.allergy_add, name="allergy-add"),
    path("records/<id:patient_id>/risk-factors/", rec.risk_factors, name="risk-factors"),
    path("records/<id:patient_id>/problems/", rec.problem_add, name="problem-add"),
    path("records/<id:patient_id>/problems/<id:problem_id>/resolve/", rec.problem_resolve,
         name="problem-resolve"),
    path("records/<id:patient_id>/documents/", rec.document_upload, name="document-upload"),
    path("records/documents/<id:document_id>/", rec.document_download, name="document"),
    path("records/documents/<id:document_id>/accept/", compliance.document_accept, name="document-accept"),
    path("my-data/deletion/", compliance.deletion_request, name="deletion-request"),
    path("compliance/export/", compliance.regulator_export, name="regulator-export"),
    path("records/<id:patient_id>/timeline/", rec.timeline, name="timeline"),
    path("records/<id:patient_id>/fhir.json", rec.fhir_download, name="fhir-download"),
    path("prescriptions/", rx.prescription_list, name="prescriptions"),
    path("prescriptions/<id:prescription_id>/", rx.prescription_detail, name="prescription"),
    path("prescriptions/<id:prescription_id>/cancel/", rx.prescription_cancel, name="prescription-cancel"),
    path("encounters/<id:encounter_id>/prescribe/", rx.prescribe, name="prescribe"),
    path("medication/", rem.medication, name="medication"),
    path("medication/doses/<id:dose_id>/", rem.dose_detail, name="dose"),
    path("medication/doses/<id:dose_id>/respond/", rem.dose_respond, name="dose-respond"),
    path("medication/items/<id:item_id>/pause/", rem.plan_pause, name="plan-pause"),
    path("medication/items/<id:item_id>/times/", rem.plan_times, name="plan-times"),
    path("fhir/metadata", CapabilityStatementApi.as_view(), name="fhir-metadata"),
    path("fhir/Patient/<id:patient_id>/$everything", PatientEverythingApi.as_view(), name="fhir-patient-everything"),
]
