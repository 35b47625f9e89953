"""/api/consult/ routes (DRF)."""
from __future__ import annotations

urlpatterns: list = []
