"""The front door at `/` (no namespace: `{% url 'home' %}` is every page's brand link)."""
from __future__ import annotations

from django.urls import path

from .views import home

urlpatterns = [path("", home.home, name="home")]
