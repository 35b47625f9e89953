"""consult services, one module per area (schedules, booking, consultation, encounters, care, waitlist, follow-ups). Import from the submodule."""
