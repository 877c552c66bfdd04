"""Every read of the current time in app/ goes through app/clock.py (issue 28): the service layer's through a
Clock (tests move it), bookkeeping through `utc_now()`. A read elsewhere would escape SettableClock and the
marking of time-dependent answers (app/fast/recording.py). Monotonic timers (`time.monotonic`, `perf_counter`)
measure durations, not the time of day, and may be used anywhere."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
CLOCK_MODULE = Path("app") / "clock.py"
# datetime.now/utcnow/today, date.today, time.time (and time_ns), in any spelling that calls them.
CLOCK_READ = re.compile(r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.time(?:_ns)?)\s*\(")


def clock_reads(root: Path = APP) -> list[str]:
    """file:line of every read of the current time outside app/clock.py."""
    found = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root.parent)
        if where == CLOCK_MODULE:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if CLOCK_READ.search(line.split("#", 1)[0]):
                found.append(f"{where}:{number}")
    return found


def test_app_reads_the_time_only_through_app_clock() -> None:
    assert clock_reads() == []


def test_the_check_finds_each_kind_of_clock_read(tmp_path: Path) -> None:
    # Given an app/ with one read of each kind outside clock.py, a read inside it and timers that are fine
    app = tmp_path / "app"
    (app / "run").mkdir(parents=True)
    (app / "clock.py").write_text("from datetime import UTC, datetime\nNOW = datetime.now(UTC)\n")
    (app / "run" / "service.py").write_text(
        "import time\nfrom datetime import UTC, date, datetime\n"
        "a = datetime.now(UTC)\nb = datetime.utcnow()\nc = date.today()\nd = time.time()\n"
        "e = time.monotonic()\nf = time.perf_counter()\ng = datetime.today()\n"
        "h = 1  # datetime.now() in a comment\n")
    # When it is scanned / Then every read outside clock.py is named by file and line, and nothing else
    assert clock_reads(app) == [f"app/run/service.py:{n}" for n in (3, 4, 5, 6, 9)]
