"""consult services, one module per area: booking side (schedules, booking, consultation, encounters) and records side (records, prescriptions, reminders, fhir). Import from the submodule."""
