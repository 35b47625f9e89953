from django.urls import path

from knowledge.apis import TriageApi

app_name = "knowledge_api"
urlpatterns = [path("triage/", TriageApi.as_view(), name="triage")]
