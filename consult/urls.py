"""consult pages: booking, consultations, encounters, the console."""
from __future__ import annotations

from . import urls_booking

app_name = "consult"
urlpatterns = [*urls_booking.urlpatterns]
