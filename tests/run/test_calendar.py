"""Business-day arithmetic (docs/runs.md rule 11), pure."""

from __future__ import annotations

from datetime import date

from app.run.calendar import BusinessCalendar

WEEKDAYS = BusinessCalendar.of(None, [], [])
# 2025-12-25 (Thursday) is excluded; Saturday 2025-12-27 is included.
HOLIDAYS = BusinessCalendar.of(None, [date(2025, 12, 25)], [date(2025, 12, 27)])


def test_weekends_are_skipped() -> None:
    assert WEEKDAYS.offset(date(2025, 1, 6), date(2025, 1, 13)) == 5  # Monday to next Monday
    assert WEEKDAYS.add(date(2025, 1, 10), 1) == date(2025, 1, 13)  # Friday + 1 = Monday
    assert WEEKDAYS.on_or_after(date(2025, 1, 11)) == date(2025, 1, 13)  # Saturday -> Monday


def test_an_excluded_holiday_and_an_included_saturday() -> None:
    assert not HOLIDAYS.is_business_day(date(2025, 12, 25))
    assert HOLIDAYS.is_business_day(date(2025, 12, 27))
    # Wed 24 -> Fri 26 (Thu 25 excluded) -> Sat 27 (included) -> Mon 29
    assert HOLIDAYS.add(date(2025, 12, 24), 1) == date(2025, 12, 26)
    assert HOLIDAYS.add(date(2025, 12, 24), 2) == date(2025, 12, 27)
    assert HOLIDAYS.add(date(2025, 12, 24), 3) == date(2025, 12, 29)
    assert HOLIDAYS.offset(date(2025, 12, 24), date(2025, 12, 29)) == 3


def test_a_run_started_on_a_non_business_day_starts_counting_at_the_next_one() -> None:
    anchor = date(2025, 1, 6)  # Monday
    due = date(2025, 1, 8)  # Wednesday: offset 2
    # started on Saturday 2025-03-08: S' = Monday 10th, + 2 = Wednesday 12th
    assert WEEKDAYS.shift(due, anchor=anchor, run_started=date(2025, 3, 8)) == date(2025, 3, 12)


def test_a_definition_date_before_the_anchor_shifts_backwards() -> None:
    anchor = date(2025, 1, 8)  # Wednesday
    before = date(2025, 1, 3)  # the Friday before: -3 business days
    assert WEEKDAYS.offset(anchor, before) == -3
    assert WEEKDAYS.shift(before, anchor=anchor, run_started=date(2025, 6, 4)) == date(2025, 5, 30)


def test_a_non_business_definition_date_counts_as_the_next_business_day() -> None:
    anchor = date(2025, 1, 6)
    assert WEEKDAYS.offset(anchor, date(2025, 1, 11)) == WEEKDAYS.offset(anchor, date(2025, 1, 13)) == 5


def test_custom_weekdays() -> None:
    four_day = BusinessCalendar.of(["monday", "tuesday", "wednesday", "thursday"], [], [])
    assert four_day.add(date(2025, 1, 9), 1) == date(2025, 1, 13)  # Thursday + 1 = Monday
