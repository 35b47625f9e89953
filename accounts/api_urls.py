"""/api/ routes of every app are mounted here so the API has one root."""
from django.urls import path

from . import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("me/notifications/", apis.NotificationListApi.as_view(), name="api-notifications"),
    path("me/access-log/", apis.AccessLogApi.as_view(), name="api-access-log"),
    path("me/consents/", apis.ConsentApi.as_view(), name="api-consents"),
    path("me/family/", apis.FamilyApi.as_view(), name="api-family"),
]
