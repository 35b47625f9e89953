from __future__ import annotations

from django.urls import path

from . import federation_views, mme_views, views

app_name = "rarecases"
urlpatterns = [
    path("federation/profile/", federation_views.profile, name="federation_profile"),
    path("federation/cases/", federation_views.cases, name="federation_cases"),
    path("federation/usage/", federation_views.usage, name="federation_usage"),
    # Matchmaker Exchange (machine to machine, X-Auth-Token per peer; see mme_views).
    path("mme/match", mme_views.match, name="mme_match"),
    path("mme/heartbeat", mme_views.heartbeat, name="mme_heartbeat"),
    path("mme/metrics", mme_views.metrics, name="mme_metrics"),
    path("rarecases/", views.search, name="search"),
    path("rarecases/candidates/", views.candidates, name="candidates"),
    path("rarecases/followed/", views.followed, name="followed"),
    path("rarecases/encounters/<int:encounter_id>/confirm/", views.confirm, name="confirm"),
    path("rarecases/cases/<int:case_id>/", views.case_detail, name="case"),
    path("rarecases/cases/<int:case_id>/download/", views.case_download, name="download"),
    path("rarecases/cases/<int:case_id>/similar/", views.similar_start, name="similar_start"),
    path("rarecases/similar/<int:search_id>/", views.similar_detail, name="similar"),
    path("rarecases/mme/incoming/", views.mme_incoming, name="mme_incoming"),
    path("rarecases/hpo/", views.hpo_pick, name="hpo_pick"),
    path("rarecases/cases/<int:case_id>/<slug:action>/", views.case_action, name="case_action"),
]
