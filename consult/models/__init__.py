"""consult models, one module per area. Import from `consult.models`.

Booking, consultations, encounters and waitlists; health records, prescriptions and reminders are the
records app's.
Each module lists its public models in __all__.
"""
from .appointments import *  # noqa: F401,F403
from .consultations import *  # noqa: F401,F403
from .encounters import *  # noqa: F401,F403
from .followup import *  # noqa: F401,F403
from .ratings import *  # noqa: F401,F403
from .recommend import *  # noqa: F401,F403
from .waitlist import *  # noqa: F401,F403
