"""Notifications as data, written with the transition (issue 13 point 1): who gets what, the outbox rows'
per-recipient sequence, the e-mail channel flag, and the bounded statement cost of writing them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import create_user
from app.db import table
from app.notify.models import Notification, Reminder
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings, load_settings
from tests.helpers import GraphQLClient, SqlCounter
from tests.run.helpers import create_process, do, ok, people, read, start, task

NT = table(Notification)


async def outbox(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(NT).order_by(NT.c.created_at, NT.c.user_id, NT.c.seq))).all())


def told(rows: list[Any]) -> list[tuple[str, str, str | None]]:
    return [(r.user_id, r.kind, r.job_run_id) for r in rows]


def cert(title: str, signers: list[str], approvers: list[str], due: str | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"title": title, "signerSteps": [{"mode": "EVERYONE", "users": signers}],
                            "approverSteps": [{"mode": "SOMEONE", "users": approvers}]}
    if due:
        args["dueDate"] = due
    return {"job": {"arguments": {"certification": args}}}


async def test_who_gets_what_through_a_task_with_an_approver(gql: GraphQLClient, engine: AsyncEngine,
                                                             settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "bob")
    pid = await create_process(gql, {"name": "R", "children": [task("Ledger", p.id("ann"), p.id("bob"))]},
                               autoClose=True)
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    job = nodes["Ledger"]["id"]
    rows = await outbox(engine)
    assert told(rows) == [(p.id("ann"), "jobSent", job)]
    assert rows[0].subject == "New task: Ledger" and rows[0].run_id == run["id"] and rows[0].seq == 1
    assert rows[0].delivery_state is None  # no SMTP relay configured: the in-app feed is the only channel

    await ok(p["ann"], "jobRunSubmit", {"id": job})  # to approval: the approver is asked
    await ok(p["bob"], "jobRunReturn", {"id": job, "comment": "Totals are off"})  # back to the assignee
    await ok(p["ann"], "jobRunSubmit", {"id": job})
    await ok(p["bob"], "jobRunApprove", {"id": job})  # completes the run (autoClose): the manager hears
    rows = await outbox(engine)
    assert told(rows) == [(p.id("ann"), "jobSent", job), (p.id("bob"), "jobSent", job),
                          (p.id("ann"), "jobReturned", job), (p.id("bob"), "jobSent", job),
                          (DEV_USER_ID, "runCompleted", None)]
    returned = rows[2]
    assert returned.subject == "Returned: Ledger" and "Comment: Totals are off" in returned.body
    assert [r.seq for r in rows if r.user_id == p.id("bob")] == [1, 2]  # per recipient, without gaps
    assert [r.seq for r in rows if r.user_id == p.id("ann")] == [1, 2]


async def test_who_gets_what_through_a_certification_and_its_return(gql: GraphQLClient, engine: AsyncEngine,
                                                                     settings: Settings) -> None:
    p = await people(engine, settings, gql, "s1", "s2", "a1")
    pid = await create_process(gql, {"name": "R", "children": [
        cert("SOX 302", [p.id("s1"), p.id("s2")], [p.id("a1")], due="2030-01-15")]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    signer = {n["arguments"]["user"]: n["id"] for n in nodes.values()
              if n.get("action") == "CERTIFICATION_SIGNER_GENERATED"}
    approver = next(n["id"] for n in nodes.values() if n.get("action") == "CERTIFICATION_APPROVER_GENERATED")
    rows = await outbox(engine)
    assert sorted(told(rows)) == sorted([(p.id("s1"), "jobSent", signer[p.id("s1")]),
                                         (p.id("s2"), "jobSent", signer[p.id("s2")])])
    assert {r.subject for r in rows} == {"Signature requested: SOX 302"}
    assert all("Due: 2030-01-15" in r.body for r in rows)
    for s in ("s1", "s2"):
        await ok(p[s], "jobRunSign", {"id": signer[p.id(s)]}, "JobRunSignInput")
    await ok(p["a1"], "jobRunReturn", {"id": approver, "comment": "Redo"})
    rows = await outbox(engine)
    assert told(rows[2:3]) == [(p.id("a1"), "jobSent", approver)]
    assert rows[2].subject == "Approval requested: SOX 302"
    again = rows[3:]
    assert sorted(told(again)) == sorted([(p.id("s1"), "jobReturned", signer[p.id("s1")]),
                                          (p.id("s2"), "jobReturned", signer[p.id("s2")])])
    assert all(r.subject == "Sign again: SOX 302" and "Comment: Redo" in r.body for r in again)


async def test_error_hold_and_cancel_tell_the_manager(gql: GraphQLClient, engine: AsyncEngine,
                                                      settings: Settings) -> None:
    from app.auth.service import set_user_active

    p = await people(engine, settings, gql, "ann", "gone")
    pid = await create_process(gql, {"name": "Close", "children": [
        task("Fine", p.id("ann")), task("Broken", p.id("gone"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await set_user_active(engine, user_id=p.id("gone"), active=False)
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["Fine"]["id"]})  # the next job cannot start
    rows = await outbox(engine)
    assert sorted(told(rows)) == sorted([(p.id("ann"), "jobSent", nodes["Fine"]["id"]),
                                         (DEV_USER_ID, "errorHold", nodes["Broken"]["id"])])
    hold = next(r for r in rows if r.kind == "errorHold")
    assert hold.subject == "Run on hold: Run me" and "cannot start" in hold.body
    await ok(gql, "runCancel", {"id": run["id"], "comment": "Wrong quarter"})
    rows = await outbox(engine)
    assert told(rows[2:]) == [(DEV_USER_ID, "runCancelled", None)]
    assert "Comment: Wrong quarter" in rows[2].body


async def test_a_refused_action_writes_no_notification(gql: GraphQLClient, engine: AsyncEngine,
                                                       settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "bob")
    pid = await create_process(gql, {"name": "R", "children": [task("T", p.id("ann"), p.id("bob"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    refused = await do(p["bob"], "jobRunSubmit", {"id": nodes["T"]["id"]})  # not the assignee
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    assert len(await outbox(engine)) == 1


async def test_email_channel_is_pending_only_with_a_relay_and_an_address(gql: GraphQLClient, engine: AsyncEngine,
                                                                         settings: Settings) -> None:
    with_mail = GraphQLClient(engine=engine, settings=Settings(database_url=settings.database_url,
                                                               smtp_url="smtp://127.0.0.1:2525"))
    mailed = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="m", email="m@example.com")
    silent = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="s", email="")
    pid = await create_process(with_mail, {"name": "R", "parallel": True, "children": [
        task("A", mailed), task("B", silent)]})
    await start(with_mail, pid)
    rows = {r.user_id: r for r in await outbox(engine)}
    assert rows[mailed].delivery_state == "pending" and rows[mailed].delivery_next_at is not None
    assert rows[silent].delivery_state is None


async def test_with_notifications_off_run_actions_write_none_and_plan_no_reminder(engine: AsyncEngine,
                                                                                settings: Settings) -> None:
    # NOTIFICATIONS=false exists to measure the feature's cost (scripts/bench --notifications both)
    assert load_settings({"NOTIFICATIONS": "false"}).notifications is False
    assert load_settings({}).notifications is True
    off = GraphQLClient(engine=engine, settings=Settings(database_url=settings.database_url, notifications=False,
                                                         smtp_url="smtp://127.0.0.1:2525"))
    ann = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="ann", email="ann@example.com")
    job = task("T", ann)
    job["job"]["arguments"]["sendTask"]["dueDate"] = "2030-01-15"
    pid = await create_process(off, {"name": "R", "children": [job]}, autoClose=True)
    run = await start(off, pid)
    _, nodes = await read(off, run["id"])
    assert nodes["T"]["status"] == "RUNNING"
    async with engine.connect() as conn:
        planned = (await conn.execute(select(table(Reminder)))).all()
    assert await outbox(engine) == [] and planned == []


async def test_notifications_add_a_bounded_number_of_statements(gql: GraphQLClient, engine: AsyncEngine,
                                                                settings: Settings, sql: SqlCounter) -> None:
    """Starting a run that notifies 1 person and one that notifies 30 cost the same number of statements."""
    costs = []
    for n in (1, 30):
        p = await people(engine, settings, gql, *[f"u{n}_{i}" for i in range(n)])
        pid = await create_process(gql, {"name": "R", "parallel": True, "children": [
            task(f"t{i}", p.id(f"u{n}_{i}")) for i in range(n)]})
        sql.reset()
        await start(gql, pid)
        costs.append(sql.count)
    assert costs[0] == costs[1], costs
