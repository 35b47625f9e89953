"""portraits services: every write of the portraits app goes through one of these functions."""
from .alerts import alert_update, alert_update_many, rule_update  # noqa: F401
from .campus import campus_import, campus_import_paths  # noqa: F401
from .runs import portrait_run_execute, portrait_run_start, runs_sweep  # noqa: F401
