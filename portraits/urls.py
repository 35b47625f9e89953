from __future__ import annotations

from django.urls import path

from . import views

app_name = "portraits"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.import_upload, name="import"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<id:run_id>/", views.run_detail, name="run"),
    path("runs/<id:run_id>/progress/", views.run_progress, name="run_progress"),
    path("runs/<id:run_id>/students/", views.student_list, name="students"),
    path("runs/<id:run_id>/students/<id:result_id>/", views.student_detail, name="student"),
    path("runs/<id:run_id>/export.csv", views.run_export, name="export"),
    path("migration/", views.migration, name="migration"),
    path("alerts/", views.alert_inbox, name="alerts"),
    path("alerts/bulk/", views.alert_bulk_update, name="alert_bulk_update"),
    path("alerts/<id:alert_id>/", views.alert_update, name="alert_update"),
    path("rules/", views.rule_list, name="rules"),
    path("patients/<id:patient_id>/", views.patient_portrait, name="patient"),
]
