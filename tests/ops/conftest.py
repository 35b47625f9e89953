"""The operations tests start real processes with tests/platform's fixtures (and an S3 server: s3.py)."""
from __future__ import annotations

from tests.ops.s3 import s3_server  # noqa: E402,F401 - the fixture
from tests.platform.conftest import stack  # noqa: F401 - the fixture, shared
