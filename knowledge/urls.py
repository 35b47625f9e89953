from django.urls import path

from knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("triage/", views.triage_page, name="triage"),
    path("knowledge/", views.lookup, name="lookup"),
    path("knowledge/entry/", views.entry, name="entry"),
]
