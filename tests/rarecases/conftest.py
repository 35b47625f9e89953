from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_match_index():  # type: ignore[no-untyped-def]
    """The match index is cached per process; each test starts from its own database."""
    from rarecases.services.mme import INDEX

    INDEX.clear()
    yield
    INDEX.clear()
