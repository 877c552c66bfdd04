"""Where the layers that read report what the running request read: each statement sent through
`fetch_plain` with its rows (app/db.py), and a read of the clock (app/clock.py). Whoever listens sets
`LISTENER` for the request: the fast path's record (app/fast/recording.py), which keeps an answer only when
it depends on nothing but those rows. The reporting layers import this leaf, never the fast path.

A context variable: tasks started during the request (loader batches) inherit it, and SQLAlchemy's
greenlets carry it along.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Protocol


class ReadListener(Protocol):
    def note(self, sql: str, args: list[Any], rows: list[Any]) -> None:
        """One statement's text, parameters and rows."""
        ...

    def taint(self) -> None:
        """Something other than a statement's rows went into the answer (the clock)."""
        ...


LISTENER: ContextVar[ReadListener | None] = ContextVar("processgraph_reads", default=None)


def noted(sql: str, args: list[Any], rows: list[Any]) -> None:
    """Report one statement's rows to the request's listener, if any."""
    listener = LISTENER.get()
    if listener is not None:
        listener.note(sql, args, rows)


def taint() -> None:
    """Report that the running request read the clock."""
    listener = LISTENER.get()
    if listener is not None:
        listener.taint()
