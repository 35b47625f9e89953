from __future__ import annotations

from django.urls import path

from . import federation_views, views

app_name = "rarecases"
urlpatterns = [
    path("federation/profile/", federation_views.profile, name="federation_profile"),
    path("federation/cases/", federation_views.cases, name="federation_cases"),
    path("federation/usage/", federation_views.usage, name="federation_usage"),
    path("rarecases/", views.search, name="search"),
    path("rarecases/candidates/", views.candidates, name="candidates"),
    path("rarecases/followed/", views.followed, name="followed"),
    path("rarecases/encounters/<id:encounter_id>/confirm/", views.confirm, name="confirm"),
    path("rarecases/cases/<id:case_id>/", views.case_detail, name="case"),
    path("rarecases/cases/<id:case_id>/download/", views.case_download, name="download"),
    path("rarecases/cases/<id:case_id>/<slug:action>/", views.case_action, name="case_action"),
]
