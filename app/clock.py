"""Time in one place: the service layer receives a Clock (from Settings) instead of reading the system time, so
tests move time across days without sleeping. All times are UTC. A request that reads the clock is marked
(app/reads.py): its answer depends on more than its statements' rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from app.reads import taint


def utc_now() -> datetime:
    """The real time, unmarked: the one place app/ reads it (tests/test_clock_reads.py). For bookkeeping that
    shapes no answer of a query (when a row was written, when a cached token expires); the service layer's
    reads go through a Clock, whose reads are marked."""
    return datetime.now(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        taint()  # an answer that read the time is not given again (app/fast/recording.py)
        return utc_now()


class SettableClock:
    """A clock that stands still until moved (tests, and scripts that replay a calendar)."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        taint()
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


SYSTEM_CLOCK = SystemClock()
