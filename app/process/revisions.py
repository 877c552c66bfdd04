"""Diff and revert over the stored history (app/process/history.py): states are composed from the stored
patches, read in one statement; a revert applies the inverse patches as one new revision. No GraphQL here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.service import Actor
from app.db import reader, write_transaction
from app.errors import VALIDATION_ERROR, AppError, ServiceError
from app.process import history
from app.process.diffs import Summary, summarize
from app.process.draft import HISTORY, PROCESSES, Draft
from app.process.edits import check_revision
from app.process.history import PatchOperation
from app.process.revert import restore
from app.process.service import now_utc, processes_by_ids

REVERT_MUTATION = "processRevert"


@dataclass(frozen=True, slots=True)
class ProcessDiff:
    """The change from the state at `from_revision` to the state at `to_revision`."""

    from_revision: int
    to_revision: int
    operations: list[PatchOperation]
    summary: Summary


def revision_errors(current: int, **revisions: int) -> list[AppError]:
    """Each argument (by its name, `fromRevision`, `toRevision`) that is not a revision of the process."""
    return [AppError(VALIDATION_ERROR, f"{name} must be a revision of this process, from 1 to its current "
                     f"revision {current}; got {value}.", name, {"min": 1, "max": current, "actual": value})
            for name, value in revisions.items() if not 1 <= value <= current]


async def patches_up_to(conn: AsyncConnection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], list[Any]]:
    """For (process id, revision) keys: the stored patches of revisions 1 to that revision, in order; one
    statement for all keys. Callers pass only process ids they resolved within the actor's workspace."""
    if not keys:
        return {}
    stmt = (select(HISTORY.c.process_id, HISTORY.c.revision, HISTORY.c.operations)
            .where(HISTORY.c.process_id.in_(sorted({pid for pid, _ in keys})),
                   HISTORY.c.revision <= max(upto for _, upto in keys))
            .order_by(HISTORY.c.process_id, HISTORY.c.revision))
    rows = (await conn.execute(stmt)).all()
    return {(pid, upto): [r.operations for r in rows if r.process_id == pid and r.revision <= upto]
            for pid, upto in keys}


def diff_of(patches: list[list[PatchOperation]], *, from_revision: int, to_revision: int) -> ProcessDiff:
    """The diff between two revisions, from the patches of revisions 1 to at least the later one."""
    low, high = sorted((from_revision, to_revision))
    earlier = history.replay(patches[:low])
    later = history.replay(patches[low:high], earlier)
    before, after = (earlier, later) if from_revision <= to_revision else (later, earlier)
    return ProcessDiff(from_revision, to_revision, history.diff(before, after), summarize(before, after))


async def diff_process(*, engine: AsyncEngine, actor: Actor, process_id: str, from_revision: int,
                       to_revision: int) -> ProcessDiff | None:
    """The diff of one live process of the actor's workspace (REST); None when it is not visible."""
    async with reader(engine).connect() as conn:
        row = (await processes_by_ids(conn, workspace_id=actor.workspace_id, ids=[process_id])).get(process_id)
        if row is None:
            return None
        errors = revision_errors(row.revision, fromRevision=from_revision, toRevision=to_revision)
        if errors:
            raise ServiceError(errors)
        upto = max(from_revision, to_revision)
        patches = (await patches_up_to(conn, [(process_id, upto)]))[(process_id, upto)]
    return diff_of(patches, from_revision=from_revision, to_revision=to_revision)


async def revert_process(*, engine: AsyncEngine, actor: Actor, process_id: str, to_revision: int,
                         expected_revision: int | None) -> Any:
    """Apply the inverse patches from the current revision back to `to_revision` as one new revision (history
    mutation `processRevert`), under the rules of every write; nothing is written when one refuses. A revert
    to the current revision changes nothing. Returns the process row."""
    async with write_transaction(engine) as conn:
        draft = await Draft.load(conn, actor=actor, process_id=process_id)
        check_revision(draft, expected_revision)
        errors = revision_errors(draft.process["revision"], toRevision=to_revision)
        if errors:
            raise ServiceError(errors)
        stmt = (select(HISTORY.c.inverse).where(HISTORY.c.process_id == process_id, HISTORY.c.revision > to_revision)
                .order_by(HISTORY.c.revision.desc()))
        inverses = list((await conn.execute(stmt)).scalars())
        target = history.replay(inverses, draft.doc())
        assert target is not None
        now = now_utc()
        restore(draft, target, to_revision=to_revision, actor=actor, now=now)
        await draft.save(conn, actor=actor, mutation=REVERT_MUTATION, now=now)
        return (await conn.execute(select(PROCESSES).where(PROCESSES.c.id == process_id))).one()
