"""/api/consult/ routes: booking side and records side."""
from __future__ import annotations

from . import api_urls_booking, api_urls_records

urlpatterns = [*api_urls_booking.urlpatterns, *api_urls_records.urlpatterns]
