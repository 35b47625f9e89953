"""consult models, one module per area. Import from `consult.models`.

Booking side: appointments.py, encounters.py (+ modules the consult issue adds).
Records side: records.py, prescriptions.py, reminders.py.
Each module lists its public models in __all__.
"""
from .appointments import *  # noqa: F401,F403
from .consultations import *  # noqa: F401,F403
from .encounters import *  # noqa: F401,F403
from .prescriptions import *  # noqa: F401,F403
from .records import *  # noqa: F401,F403
from .reminders import *  # noqa: F401,F403
from .waitlist import *  # noqa: F401,F403
