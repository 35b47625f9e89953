"""/api/rarecases/ routes (DRF)."""
from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("cases/", apis.CaseSearchApi.as_view(), name="rarecases-api-search"),
    path("cases/<int:case_id>/", apis.CaseDetailApi.as_view(), name="rarecases-api-case"),
    path("cases/<int:case_id>/download/", apis.CaseDownloadApi.as_view(), name="rarecases-api-download"),
    path("cases/<int:case_id>/follow/", apis.CaseFollowApi.as_view(), name="rarecases-api-follow"),
    path("cases/<int:case_id>/cite/", apis.CaseCiteApi.as_view(), name="rarecases-api-cite"),
    path("cases/<int:case_id>/forward/", apis.CaseForwardApi.as_view(), name="rarecases-api-forward"),
    path("cases/<int:case_id>/share/", apis.CaseShareApi.as_view(), name="rarecases-api-share"),
    path("cases/<int:case_id>/similar/", apis.SimilarStartApi.as_view(), name="rarecases-api-similar-start"),
    path("similar/<int:search_id>/", apis.SimilarDetailApi.as_view(), name="rarecases-api-similar"),
    path("mme/incoming/", apis.MmeIncomingApi.as_view(), name="rarecases-api-mme-incoming"),
    path("encounters/<int:encounter_id>/preview/", apis.EncounterPreviewApi.as_view(), name="rarecases-api-preview"),
    path("encounters/<int:encounter_id>/confirm/", apis.EncounterConfirmApi.as_view(), name="rarecases-api-confirm"),
    path("candidates/", apis.CandidateListApi.as_view(), name="rarecases-api-candidates"),
    path("hpo/", apis.HpoSearchApi.as_view(), name="rarecases-api-hpo"),
    path("status/", apis.PlatformStatusApi.as_view(), name="rarecases-api-status"),
    path("setup/", apis.InstanceSetupApi.as_view(), name="rarecases-api-setup"),
]
