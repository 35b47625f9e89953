"""records models, one module per area: the health record (records.py), prescriptions, medication reminders.
Import from `records.models`. Their tables were consult's until the records app was split out (migration
records.0001 took them over with every row; the tables were renamed records_*)."""
from .prescriptions import *  # noqa: F401,F403
from .records import *  # noqa: F401,F403
from .reminders import *  # noqa: F401,F403
from .retention import *  # noqa: F401,F403
