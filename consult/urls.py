"""consult pages: the booking side (urls_booking) and the records side (urls_records)."""
from __future__ import annotations

from . import urls_booking, urls_records

app_name = "consult"
urlpatterns = [*urls_booking.urlpatterns, *urls_records.urlpatterns]
