"""consult Celery tasks (thin: load by id, call a service). Autodiscovery imports this package."""
from .booking import *  # noqa: F401,F403
from .recommend import *  # noqa: F401,F403
