from . import booking  # noqa: F401
