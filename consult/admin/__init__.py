from . import booking, records  # noqa: F401
