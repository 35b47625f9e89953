"""consult tasks: booking side."""
from __future__ import annotations

__all__: list[str] = []
