"""Reminders and overdue notices (issue 13 points 3 and 4): a controlled clock moves across days (no sleeping),
the scheduler fires what fell due, and the feed shows exactly which reminders reached whom, with which subject
and body. Also: JobRun.overdue, the overdue filters, and exactly-once firing under concurrent schedulers."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.clock import SettableClock
from app.db import table
from app.ids import new_id
from app.main import create_app
from app.notify import scheduler
from app.notify.models import Notification, Reminder
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings
from tests.helpers import GraphQLClient
from tests.run.helpers import People, create_process, ok, people, read, start

REMINDERS = """query { viewer { notifications(first: 1000) { edges { node {
  kind subject message createdAt jobRun { id } } } } } }"""
OVERDUE = "query($id: ID!) { processRun(id: $id) { nodes { ... on JobRun { name dueDate overdue } } } }"
INBOX = "query($overdue: Boolean) { viewer { jobRuns(overdue: $overdue) { name } } }"
RUNS = "query($overdue: Boolean) { processRuns(filter: {overdue: $overdue}) { edges { node { id } } } }"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + timedelta(hours=hour)


class Calendar:
    """Clients sharing one settable clock, and the scheduler run at that clock."""

    def __init__(self, engine: AsyncEngine, settings: Settings, start: datetime) -> None:
        self.clock = SettableClock(start)
        self.engine = engine
        self.settings = Settings(database_url=settings.database_url, clock=self.clock)
        self.manager = GraphQLClient(engine=engine, settings=self.settings)

    async def people(self, *names: str) -> People:
        return await people(self.engine, self.settings, self.manager, *names)

    async def day(self, day: str, hour: int = 12) -> None:
        """Move the clock to `day` at `hour`, firing on the way everything that falls due each hour."""
        target = at(day, hour)
        while self.clock.now() < target:
            self.clock.set(min(target, self.clock.now() + timedelta(hours=1)))
            await scheduler.run_all_due(self.engine, now=self.clock.now())


async def timed(client: GraphQLClient) -> list[tuple[str, str, str, str]]:
    """(UTC time, kind, subject, message) of the client's reminders and overdue notices, oldest first."""
    edges = (await client(REMINDERS))["viewer"]["notifications"]["edges"]
    return [(e["node"]["createdAt"][:16], e["node"]["kind"], e["node"]["subject"], e["node"]["message"])
            for e in reversed(edges) if e["node"]["kind"] in ("REMINDER", "OVERDUE")]


async def test_default_schedule_overdue_and_approval_stage(engine: AsyncEngine, settings: Settings) -> None:
    cal = Calendar(engine, settings, at("2030-01-07", 9))  # a Monday
    p = await cal.people("ann", "bob")
    pid = await create_process(cal.manager, {"name": "Close", "children": [{"job": {"arguments": {"sendTask": {
        "title": "Ledger", "assignee": p.id("ann"), "approver": p.id("bob"), "dueDate": "2030-01-15",
        "approverDueDate": "2030-01-17"}}}}]}, businessDateExclusions=["2030-01-11"])
    run = await start(cal.manager, pid)
    _, nodes = await read(cal.manager, run["id"])
    job = nodes["Ledger"]["id"]

    await cal.day("2030-01-15")  # Tuesday, the due date, noon
    body = '"Ledger" in run "Run me" is due on 2030-01-15 and is waiting for you.'
    # two business days before (Friday the 11th is excluded: Thursday the 10th), and on the due date, at 08:00
    assert await timed(p["ann"]) == [("2030-01-10T08:00", "REMINDER", "Reminder: Ledger is due on 2030-01-15", body),
                                     ("2030-01-15T08:00", "REMINDER", "Due today: Ledger", body)]
    overdue = (await cal.manager(OVERDUE, {"id": run["id"]}))["processRun"]["nodes"]
    assert {"name": "Ledger", "dueDate": "2030-01-15", "overdue": False} in overdue
    assert (await p["ann"](INBOX, {"overdue": True}))["viewer"]["jobRuns"] == []

    await cal.day("2030-01-16", 9)  # the due date has passed in UTC: one overdue notice each
    assert (await timed(p["ann"]))[2:] == [("2030-01-16T00:00", "OVERDUE", "Overdue: Ledger",
                                            '"Ledger" in run "Run me" was due on 2030-01-15 and is not done '
                                            "(your part is still open).")]
    assert await timed(cal.manager) == [("2030-01-16T00:00", "OVERDUE", "Overdue: Ledger",
                                         '"Ledger" in your run "Run me" was due on 2030-01-15 and is not done.')]
    assert {"name": "Ledger", "dueDate": "2030-01-15", "overdue": True} in (await cal.manager(
        OVERDUE, {"id": run["id"]}))["processRun"]["nodes"]
    assert (await p["ann"](INBOX, {"overdue": True}))["viewer"]["jobRuns"] == [{"name": "Ledger"}]
    assert (await p["ann"](INBOX, {"overdue": False}))["viewer"]["jobRuns"] == []
    assert (await cal.manager(RUNS, {"overdue": True}))["processRuns"]["edges"] == [{"node": {"id": run["id"]}}]
    assert (await cal.manager(RUNS, {"overdue": False}))["processRuns"]["edges"] == []

    # submitted: now it waits for the approver until the 17th (the reminder two days before has passed)
    await ok(p["ann"], "jobRunSubmit", {"id": job})
    assert (await p["ann"](INBOX, {"overdue": True}))["viewer"]["jobRuns"] == []
    assert (await cal.manager(RUNS, {"overdue": True}))["processRuns"]["edges"] == []
    await cal.day("2030-01-17")
    assert await timed(p["bob"]) == [("2030-01-17T08:00", "REMINDER", "Due today: Ledger",
                                      '"Ledger" in run "Run me" is due on 2030-01-17 and is waiting for you.')]
    await ok(p["bob"], "jobRunApprove", {"id": job})  # settled: its overdue notices are dropped
    await cal.day("2030-01-25")
    assert len(await timed(p["bob"])) == 1 and len(await timed(p["ann"])) == 3
    assert len(await timed(cal.manager)) == 1


async def test_process_default_custom_and_none_for_certification_steps(engine: AsyncEngine,
                                                                       settings: Settings) -> None:
    cal = Calendar(engine, settings, at("2030-01-07", 9))
    p = await cal.people("s1", "s2", "a1")
    typed = "Line one\nLine <b>two</b> {{ not a template }} %(nor)s"
    pid = await create_process(cal.manager, {"name": "SOX", "children": [{"job": {"arguments": {"certification": {
        "title": "SOX 302", "dueDate": "2030-01-15",
        "signerSteps": [{"mode": "EVERYONE", "users": [p.id("s1"), p.id("s2")]}],
        "approverSteps": [{"mode": "SOMEONE", "users": [p.id("a1")]}]}}}}]},
        defaultCertSignerReminders={"mode": "CUSTOM", "reminders": [
            {"daysFromDue": -1, "subject": "Sign the SOX letter", "body": typed},
            {"daysFromDue": 1, "subject": "Still unsigned", "body": "Please sign."}]},
        defaultCertApproverReminders={"mode": "NONE"})
    run = await start(cal.manager, pid)
    _, nodes = await read(cal.manager, run["id"])
    signer = {n["arguments"]["user"]: n["id"] for n in nodes.values()
              if n.get("action") == "CERTIFICATION_SIGNER_GENERATED"}

    await cal.day("2030-01-14")  # one business day before the due date
    first = ("2030-01-14T08:00", "REMINDER", "Sign the SOX letter", typed)
    assert await timed(p["s1"]) == await timed(p["s2"]) == [first]
    await ok(p["s1"], "jobRunSign", {"id": signer[p.id("s1")]}, "JobRunSignInput")  # s1 is done: no more for s1
    await cal.day("2030-01-16")
    assert await timed(p["s1"]) == [first]
    late = '"SOX 302" in run "Run me" was due on 2030-01-15 and is not done (your step of part is still open).'
    assert await timed(p["s2"]) == [first, ("2030-01-16T00:00", "OVERDUE", "Overdue: SOX 302", late),
                                    ("2030-01-16T08:00", "REMINDER", "Still unsigned", "Please sign.")]
    await ok(p["s2"], "jobRunSign", {"id": signer[p.id("s2")]}, "JobRunSignInput")  # on to the approver
    await cal.day("2030-01-20")
    # mode none: no reminders for the approver, but the step is overdue all the same (once)
    assert [(k, s) for _, k, s, _ in await timed(p["a1"])] == [("OVERDUE", "Overdue: SOX 302")]
    assert [s for _, k, s, _ in await timed(cal.manager)] == ["Overdue: SOX 302", "Overdue: SOX 302"]


async def test_a_due_date_edit_replans_and_a_skip_drops(engine: AsyncEngine, settings: Settings) -> None:
    cal = Calendar(engine, settings, at("2030-01-07", 9))
    p = await cal.people("ann")
    pid = await create_process(cal.manager, {"name": "Close", "parallel": True, "children": [
        {"job": {"arguments": {"sendTask": {"title": t, "assignee": p.id("ann"), "dueDate": "2030-01-15"}}}}
        for t in ("Moved", "Skipped")]})
    run = await start(cal.manager, pid)
    _, nodes = await read(cal.manager, run["id"])
    await cal.day("2030-01-08")
    edit = "JobRunEditInput"
    await ok(cal.manager, "jobRunEdit", {"id": nodes["Moved"]["id"], "dueDate": "2030-01-22"}, edit)
    await ok(cal.manager, "jobRunSkip", {"id": nodes["Skipped"]["id"]})
    await cal.day("2030-01-24")
    assert [(t, s) for t, _, s, _ in await timed(p["ann"])] == [
        ("2030-01-18T08:00", "Reminder: Moved is due on 2030-01-22"), ("2030-01-22T08:00", "Due today: Moved"),
        ("2030-01-23T00:00", "Overdue: Moved")]


async def test_concurrent_schedulers_fire_each_reminder_once(engine: AsyncEngine, settings: Settings) -> None:
    """200 due plan rows and four scheduler calls at once (FOR UPDATE SKIP LOCKED on PostgreSQL, the exclusive
    write transaction on SQLite): 200 notifications, each row fired once."""
    rem, nt = table(Reminder), table(Notification)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(rem), [{
            "id": new_id(), "workspace_id": DEFAULT_WORKSPACE_ID, "run_id": new_id(), "job_run_id": new_id(),
            "user_id": DEV_USER_ID, "kind": "reminder", "due_date": date(2030, 1, 1), "fire_at": now,
            "subject": f"r{i}", "body": "b", "fired_at": None} for i in range(200)])
    fired = await asyncio.gather(*(scheduler.run_due(engine, now=now, limit=60) for _ in range(4)))
    fired += await asyncio.gather(*(scheduler.run_due(engine, now=now, limit=60) for _ in range(4)))
    assert sum(fired) == 200
    async with engine.connect() as conn:
        subjects = [r[0] for r in (await conn.execute(select(nt.c.subject))).all()]
        seqs = sorted(r[0] for r in (await conn.execute(select(nt.c.seq))).all())
        unfired = (await conn.execute(select(func.count()).select_from(rem).where(rem.c.fired_at.is_(None)))).scalar()
    assert sorted(subjects) == sorted(f"r{i}" for i in range(200)) and seqs == list(range(1, 201))
    assert unfired == 0


async def test_the_app_runs_the_scheduler_loop(engine: AsyncEngine, settings: Settings) -> None:
    clock = SettableClock(at("2030-01-16", 9))
    live = Settings(database_url=settings.database_url, clock=clock, notify_scheduler_interval_seconds=0.05)
    rem = table(Reminder)
    async with engine.begin() as conn:
        await conn.execute(insert(rem), [{
            "id": new_id(), "workspace_id": DEFAULT_WORKSPACE_ID, "run_id": new_id(), "job_run_id": new_id(),
            "user_id": DEV_USER_ID, "kind": "overdue", "due_date": date(2030, 1, 15), "fire_at": at("2030-01-16", 0),
            "subject": "late", "body": "b", "fired_at": None}])
    app = create_app(live)
    async with app.router.lifespan_context(app):
        client = GraphQLClient(engine=engine, settings=live)
        found: list[Any] = []
        async with asyncio.timeout(10):
            while not found:
                await asyncio.sleep(0.05)
                found = await timed(client)
    assert [(k, s) for _, k, s, _ in found] == [("OVERDUE", "late")]
