"""/api/portraits/ routes (DRF)."""
from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("runs/", apis.RunListApi.as_view(), name="api-portraits-runs"),
    path("runs/<id:run_id>/", apis.RunDetailApi.as_view(), name="api-portraits-run"),
    path("runs/<id:run_id>/portraits/", apis.PortraitListApi.as_view(), name="api-portraits-list"),
    path("runs/<id:run_id>/portraits/<id:result_id>/", apis.PortraitDetailApi.as_view(),
         name="api-portraits-detail"),
    path("alerts/", apis.AlertListApi.as_view(), name="api-portraits-alerts"),
    path("alerts/<id:alert_id>/", apis.AlertUpdateApi.as_view(), name="api-portraits-alert"),
]
