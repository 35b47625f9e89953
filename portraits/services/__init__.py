"""portraits services: every write of the portraits app goes through one of these functions."""
from .imports import campus_import, campus_import_paths  # noqa: F401
