"""One scheduler across nodes: two workers started with embedded beat (-B); only one sends periodic tasks, and
the other takes over when it stops."""
from __future__ import annotations

import pytest

from tests.platform.conftest import Stack, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.slow]

SENT = "Scheduler: Sending due task accounts-email-outbox-sweep"


def test_two_workers_with_beat_one_schedules_and_the_other_takes_over(stack: Stack):
    # Given two worker nodes, each with embedded beat, sharing the database, the queue and the broker; the lock
    # lives on the broker's Redis in CI (its default key: database + queue), in a file both name when the
    # broker is the filesystem transport (as two workers on one machine); a sweep every second
    lock = {"BEAT_LOCK_FILE": str(stack.tmp / "beat.lock"), "BEAT_LOCK_TTL": "3"}
    first = stack.start_worker(sweep_seconds=1, **lock)
    second = stack.start_worker(sweep_seconds=1, **lock)

    # When they have run for a few ticks
    wait_until(lambda: max(first.log().count(SENT), second.log().count(SENT)) >= 3, 45, "three beat ticks")

    # Then exactly one node scheduled them, and the other stood by
    leader, standby = (first, second) if first.log().count(SENT) else (second, first)
    assert "holds the scheduler lock" in leader.log()
    assert "stands by: another scheduler holds the lock" in standby.log()
    assert standby.log().count(SENT) == 0

    # When the leading node stops, the standby takes the lock over (within one lock TTL) and schedules
    leader.stop()
    wait_until(lambda: standby.log().count(SENT) >= 2, 30, "the standby to take over")
    assert "holds the scheduler lock" in standby.log()
