from __future__ import annotations

app_name = "pharmacy"
urlpatterns: list = []
