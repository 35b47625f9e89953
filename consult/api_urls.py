"""/api/consult/ routes of the booking side (records' routes share the prefix: records/api_urls.py)."""
from __future__ import annotations

from . import api_urls_booking

urlpatterns = [*api_urls_booking.urlpatterns]
