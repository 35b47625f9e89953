"""records services, one module per area (records, prescriptions, reminders, fhir). Import from the submodule."""
