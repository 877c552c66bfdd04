"""SQLAlchemy's connection pool, where app/db.py and app/connectivity.py reach past its public API.

A pooled connection taken without an AsyncConnection (app/db.py PlainConnection) has to be checked, and
given up after a fault, the way the pool itself does it; the pool exposes neither step publicly.
"""

from __future__ import annotations

from typing import Any


def opened_since_last_fault(pool: Any, fairy: Any) -> bool:
    """Whether this checked-out connection was opened after the pool last met a fault, as the pool asks at
    checkout (one opened before, or at an unknown time, is replaced). The pool keeps that time as
    `Pool._invalidate_time` and a connection's opening time on its `_connection_record` (a public
    `ConnectionPoolEntry`, reachable from the proxied connection only through that private attribute)."""
    record = getattr(fairy, "_connection_record", None)
    started = getattr(record, "starttime", None)
    return started is not None and started >= getattr(pool, "_invalidate_time", 0)


def forget_generation(pool: Any, fairy: Any, error: BaseException) -> None:
    """Marks every pooled connection opened up to now as one to replace at its next checkout, without
    invalidating `fairy` itself (the caller does that next, with I/O). The public way, a disconnect detected
    inside `Connection.execute`, is not taken by reads that go to the driver directly; `Pool._invalidate` is
    the step that way runs."""
    pool._invalidate(fairy, error, _checkin=False)
