"""consult models, one module per area. Import from `consult.models`."""
from .appointments import Appointment, AppointmentStatus, Department, Slot, SlotKind  # noqa: F401
from .encounters import Encounter, EncounterDiagnosis, ICD10Code  # noqa: F401
