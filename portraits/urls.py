from __future__ import annotations

app_name = "portraits"
urlpatterns: list = []
