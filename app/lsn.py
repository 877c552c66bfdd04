"""Read-your-writes with standbys (issue 30): the WAL position (LSN) of a request's committed writes, read on
the primary right after each commit and handed to the client (`X-Processgraph-LSN` and the GraphQL extension
`lsn`), and the one a read brings back in the same header (app/replicas.py serves it from a standby that has
replayed that far, or from the primary).

A leaf like app/reads.py: `write_transaction` (app/db.py) reports to the request's `Written`, set in a
context variable by the doors only when standbys are configured, so a gateway without them pays nothing.
"""

from __future__ import annotations

import re
from contextvars import ContextVar, Token
from typing import Any

HEADER = "X-Processgraph-LSN"
EXTENSION = "lsn"
_LSN_TEXT = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def parse_lsn(text: str) -> int | None:
    """PostgreSQL's spelling of an LSN (`16/B374D848`) as a number; None when it is not one."""
    found = _LSN_TEXT.fullmatch(text.strip())
    if found is None:
        return None
    return (int(found.group(1), 16) << 32) + int(found.group(2), 16)


def lsn_text(lsn: int) -> str:
    """An LSN as PostgreSQL spells it."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


class Written:
    """The highest WAL position after any commit of one request (0: it committed nothing)."""

    __slots__ = ("lsn",)

    def __init__(self) -> None:
        self.lsn = 0


WRITTEN: ContextVar[Written | None] = ContextVar("processgraph_written", default=None)


class Tracked:
    """Note the LSN after each commit of what runs inside, when `on` (standbys are configured). A class, not a
    generator: every request enters it, and without standbys it must cost nothing to speak of."""

    __slots__ = ("on", "token", "written")

    def __init__(self, on: bool) -> None:
        self.on, self.written = on, Written()
        self.token: Token[Written | None] | None = None

    def __enter__(self) -> Written:
        if self.on:
            self.token = WRITTEN.set(self.written)
        return self.written

    def __exit__(self, *_exc: object) -> None:
        if self.token is not None:
            WRITTEN.reset(self.token)


async def note_commit(driver: Any) -> None:
    """After a commit on `driver` (an asyncpg connection), note the primary's WAL position: a standby that
    has replayed up to it has replayed the commit. Nothing when the running request is not tracked."""
    written = WRITTEN.get()
    if written is None:
        return
    lsn = parse_lsn(str(await driver.fetchval("SELECT pg_current_wal_lsn()::text")))
    if lsn is not None and lsn > written.lsn:
        written.lsn = lsn
