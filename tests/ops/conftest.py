"""The operations tests start real processes with tests/platform's fixtures (and an S3 server: s3.py)."""
from __future__ import annotations

from tests.platform.conftest import stack  # noqa: F401 - the fixture, shared
