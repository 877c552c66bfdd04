"""Business-day arithmetic for relative dates (docs/runs.md rule 11). Pure; all dates are UTC dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAY_NUMBERS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
                   "sunday": 6}
DEFAULT_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
_MAX_SEARCH_DAYS = 3 * 366  # a calendar with no business day in three years is treated as broken


@dataclass(frozen=True)
class BusinessCalendar:
    """Business days: the weekdays, minus exclusions, plus inclusions."""

    weekdays: frozenset[int] = frozenset(range(5))
    exclusions: frozenset[date] = field(default_factory=frozenset)
    inclusions: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, weekdays: Iterable[str] | None, exclusions: Iterable[date], inclusions: Iterable[date]
           ) -> BusinessCalendar:
        names = DEFAULT_WEEKDAYS if weekdays is None else tuple(weekdays)
        return cls(frozenset(WEEKDAY_NUMBERS[n] for n in names), frozenset(exclusions), frozenset(inclusions))

    def is_business_day(self, d: date) -> bool:
        if d in self.inclusions:
            return True
        return d not in self.exclusions and d.weekday() in self.weekdays

    def on_or_after(self, d: date) -> date:
        """The first business day on or after `d`."""
        for i in range(_MAX_SEARCH_DAYS):
            candidate = d + timedelta(days=i)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError("the business calendar has no business day")

    def offset(self, anchor: date, d: date) -> int:
        """Signed business days from `anchor` to `d`; a non-business day counts as the next business day."""
        a, b = self.on_or_after(anchor), self.on_or_after(d)
        step = 1 if b >= a else -1
        n = 0
        cursor = a
        while cursor != b:
            cursor += timedelta(days=step)
            if self.is_business_day(cursor):
                n += step
        return n

    def add(self, start: date, business_days: int) -> date:
        """The business day `business_days` after (or before, when negative) the business day `start`."""
        step = 1 if business_days >= 0 else -1
        remaining = abs(business_days)
        cursor = start
        guard = 0
        while remaining:
            cursor += timedelta(days=step)
            guard += 1
            if guard > _MAX_SEARCH_DAYS * max(1, abs(business_days)):
                raise ValueError("the business calendar has no business day")
            if self.is_business_day(cursor):
                remaining -= 1
        return cursor

    def shift(self, d: date, *, anchor: date, run_started: date) -> date:
        """Where definition date `d` lands in a run started on `run_started` (same offset from S')."""
        return self.add(self.on_or_after(run_started), self.offset(anchor, d))
