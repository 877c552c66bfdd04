"""What one request read, noted while it runs, so that its answer can be given again (issue 16).

A query's answer is a function of the request (its body, the acting user, the headers that choose the
response's form), of the statements it ran and their results, and of nothing else, as long as it read no
clock and no statement went past `fetch_plain`. So when the same request comes again and the same statements
return the same rows, the answer is the same: app/fast/answers.py keeps such answers and gives them again
after running the statements once more.

The database layer and the clock report to the request's `Recording` through app/reads.py (they import that
leaf, not this package): a `Recording` is the request's read listener while it is recorded (`recorded`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.reads import LISTENER

# Rows a request may have read and still have its answer kept: comparing them again must stay cheap.
MAX_ROWS = 512


class Recording:
    """The statements one request ran through `fetch_plain`, with their rows, and whether anything else
    went into its answer (`tainted`): a statement past `fetch_plain`, the clock, a second operation."""

    __slots__ = ("clean", "filled", "operation", "operations", "query", "rows", "seen", "statements", "tainted")

    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...], list[Any]]] = []
        self.seen = 0  # statements sent (the engine's before_cursor_execute event)
        self.rows = 0
        self.operations = 0
        self.operation: str | None = None  # its operationName, for the log line of an answer given again
        self.query = False
        self.tainted = False
        self.filled = False  # it stored something in the tree cache: the next one will read less
        self.clean = False  # its operation returned without errors (not timed out, not refused)

    def note(self, sql: str, args: list[Any], rows: list[Any]) -> None:
        """One statement's text, parameters and rows (as `fetch_plain` returned them)."""
        self.rows += len(rows)
        if self.rows > MAX_ROWS:
            self.tainted = True
        if not self.tainted:
            # Lists among the parameters (arrays of ids) are copied: the caller may reuse them.
            kept = tuple(list(a) if isinstance(a, list) else a for a in args)
            self.statements.append((sql, kept, list(rows)))

    @property
    def replayable(self) -> bool:
        """One query, answered without errors, that read no clock, and whose every statement (at least one)
        was noted with its rows; not one that filled the tree cache, since the same request will then run
        fewer, cheaper statements (a page's versions instead of its rows), and those are the ones worth
        running again."""
        return (self.clean and not self.tainted and not self.filled and self.query and self.operations == 1
                and 0 < self.seen == len(self.statements))

    def taint(self) -> None:
        """What the request reads now is not a statement's rows (the clock): its answer is not kept."""
        self.tainted = True


def current() -> Recording | None:
    """The running request's record, when it is recorded."""
    found = LISTENER.get()
    return found if isinstance(found, Recording) else None


@contextmanager
def recorded(recording: Recording) -> Iterator[Recording]:
    """Record what the request run inside reads into `recording`."""
    token = LISTENER.set(recording)
    try:
        yield recording
    finally:
        LISTENER.reset(token)


def filled() -> None:
    """The running request stored something in the tree cache (app/fast/cache.py)."""
    found = current()
    if found is not None:
        found.filled = True


def count_statement(*_args: Any) -> None:
    """The engine's before_cursor_execute listener: every statement sent while a request is recorded."""
    found = current()
    if found is not None:
        found.seen += 1
