"""Fault injection for crash tests: kill the gateway process at a named point, on the n-th time it is reached.

Set FAULT_KILL_AT="<point>:<n>" (e.g. `run.save.mid:2`). Off unless set; nothing in normal operation
reads it beyond one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_armed: dict[str, int] = {}


def configure(spec: str | None) -> None:
    _armed.clear()
    if spec:
        point, _, count = spec.partition(":")
        _armed[point] = int(count or "1")


def reached(point: str) -> None:
    """Called at a fault point; kills this process with SIGKILL when armed for this point and count."""
    if point not in _armed:
        return
    _armed[point] -= 1
    if _armed[point] <= 0:
        os.kill(os.getpid(), signal.SIGKILL)
