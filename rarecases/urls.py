from __future__ import annotations

app_name = "rarecases"
urlpatterns: list = []
