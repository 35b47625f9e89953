"""/api/rarecases/ routes (DRF)."""
from __future__ import annotations

urlpatterns: list = []
