"""The run engine through GraphQL: certification (rule 6), errors (7), cancel (8), adding job runs (10),
relative dates (11), events (13), the inbox (issue 5 points 2-7)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import set_user_active
from app.run.calendar import BusinessCalendar
from app.settings import Settings
from tests.helpers import GraphQLClient
from tests.run.helpers import EVENTS, counts, create_process, do, ok, people, read, start, task


def cert(signers: list[list[str]], approvers: list[list[str]], modes: tuple[str, str] = ("EVERYONE", "SOMEONE")
         ) -> dict:
    return {"job": {"arguments": {"certification": {
        "title": "SOX", "signerSteps": [{"mode": modes[0], "users": s} for s in signers],
        "approverSteps": [{"mode": modes[1], "users": a} for a in approvers]}}}}


def by_user(nodes: dict, action: str) -> dict[str, dict]:
    return {n["arguments"]["user"]: n for n in nodes.values()
            if n["__typename"] == "JobRun" and n["action"] == action}


async def test_certification_sign_approve_and_finalize(gql: GraphQLClient, engine: AsyncEngine,
                                                       settings: Settings) -> None:
    p = await people(engine, settings, gql, "s1", "s2", "a1", "a2")
    pid = await create_process(gql, {"name": "R", "children": [
        cert([[p.id("s1"), p.id("s2")]], [[p.id("a1"), p.id("a2")]])]}, autoClose=True)
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    signers = by_user(nodes, "CERTIFICATION_SIGNER_GENERATED")
    assert {s["actionStatus"] for s in signers.values()} == {"SENT"} and nodes["SOX"]["actionStatus"] == "SENT"
    assert (await do(p["s2"], "jobRunSign", {"id": signers[p.id("s1")]["id"]}, "JobRunSignInput"))["errors"][0][
        "code"] == "FORBIDDEN"
    exc = await do(p["s1"], "jobRunSign", {"id": signers[p.id("s1")]["id"], "exception": True}, "JobRunSignInput")
    assert exc["errors"][0]["target"] == "comment"  # an exception needs a comment
    await ok(p["s1"], "jobRunSign", {"id": signers[p.id("s1")]["id"]}, "JobRunSignInput")
    _, nodes = await read(gql, run["id"])
    assert all(n["actionStatus"] == "WAITING" for n in by_user(nodes, "CERTIFICATION_APPROVER_GENERATED").values())
    await ok(p["s2"], "jobRunSign", {"id": signers[p.id("s2")]["id"]}, "JobRunSignInput")  # everyone: both signed
    _, nodes = await read(gql, run["id"])
    approvers = by_user(nodes, "CERTIFICATION_APPROVER_GENERATED")
    assert {a["actionStatus"] for a in approvers.values()} == {"SENT"}
    await ok(p["a2"], "jobRunApprove", {"id": approvers[p.id("a2")]["id"]})  # someone: one is enough
    run, nodes = await read(gql, run["id"])
    approvers = by_user(nodes, "CERTIFICATION_APPROVER_GENERATED")
    assert approvers[p.id("a1")]["status"] == "CANCELLED" and approvers[p.id("a2")]["status"] == "COMPLETE"
    finalizer = next(n for n in nodes.values() if n.get("action") == "CERTIFICATION_PHASE_FINALIZER_GENERATED")
    assert finalizer["status"] == "COMPLETE"
    assert (nodes["SOX"]["status"], nodes["SOX"]["actionStatus"]) == ("COMPLETE", "COMPLETE")
    assert run["status"] == "COMPLETE"


async def test_certification_return_sends_every_signer_back(gql: GraphQLClient, engine: AsyncEngine,
                                                            settings: Settings) -> None:
    p = await people(engine, settings, gql, "s1", "s2", "a1")
    pid = await create_process(gql, {"name": "R", "children": [
        cert([[p.id("s1"), p.id("s2")]], [[p.id("a1")]], modes=("SOMEONE", "EVERYONE"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    signers = by_user(nodes, "CERTIFICATION_SIGNER_GENERATED")
    await ok(p["s1"], "jobRunSign", {"id": signers[p.id("s1")]["id"]}, "JobRunSignInput")
    _, nodes = await read(gql, run["id"])
    assert by_user(nodes, "CERTIFICATION_SIGNER_GENERATED")[p.id("s2")]["status"] == "CANCELLED"  # someone
    approver = by_user(nodes, "CERTIFICATION_APPROVER_GENERATED")[p.id("a1")]
    await ok(p["a1"], "jobRunReturn", {"id": approver["id"], "comment": "numbers are off"})
    _, nodes = await read(gql, run["id"])
    signers = by_user(nodes, "CERTIFICATION_SIGNER_GENERATED")
    assert nodes["SOX"]["actionStatus"] == "RETURNED"
    assert {(s["status"], s["actionStatus"]) for s in signers.values()} == {("RUNNING", "SENT")}  # both back
    assert by_user(nodes, "CERTIFICATION_APPROVER_GENERATED")[p.id("a1")]["status"] == "WAITING"
    await ok(p["s2"], "jobRunSign", {"id": signers[p.id("s2")]["id"]}, "JobRunSignInput")
    _, nodes = await read(gql, run["id"])
    approver = by_user(nodes, "CERTIFICATION_APPROVER_GENERATED")[p.id("a1")]
    assert approver["actionStatus"] == "SENT" and nodes["SOX"]["actionStatus"] == "SENT"


async def test_conditional_approver_approves_by_itself_without_exceptions(
    gql: GraphQLClient, engine: AsyncEngine, settings: Settings
) -> None:
    p = await people(engine, settings, gql, "s1", "a1")
    c = cert([[p.id("s1")]], [[p.id("a1")]])
    pid = await create_process(gql, {"name": "R", "children": [c]}, certAutoApprove=True)
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await ok(p["s1"], "jobRunSign", {"id": by_user(nodes, "CERTIFICATION_SIGNER_GENERATED")[p.id("s1")]["id"]},
             "JobRunSignInput")
    _, nodes = await read(gql, run["id"])
    assert nodes["SOX"]["status"] == "COMPLETE"  # the conditional approver approved by itself

    pid2 = await create_process(gql, {"name": "R", "children": [c]}, certAutoApprove=True)
    run2 = await start(gql, pid2)
    _, nodes = await read(gql, run2["id"])
    await ok(p["s1"], "jobRunSign", {"id": by_user(nodes, "CERTIFICATION_SIGNER_GENERATED")[p.id("s1")]["id"],
                                     "exception": True, "comment": "a control failed"}, "JobRunSignInput")
    _, nodes = await read(gql, run2["id"])
    conditional = by_user(nodes, "CERTIFICATION_CONDITIONAL_APPROVER_GENERATED")[p.id("a1")]
    assert conditional["actionStatus"] == "SENT"  # waits for a person
    await ok(p["a1"], "jobRunApprove", {"id": conditional["id"]})
    assert (await read(gql, run2["id"]))[1]["SOX"]["status"] == "COMPLETE"


async def test_an_inactive_assignee_holds_the_run_until_fixed(gql: GraphQLClient, engine: AsyncEngine,
                                                              settings: Settings) -> None:
    """Rule 7 end to end: deactivate the assignee, see error and errorHold up to the run, edit the assignee,
    restart, finish."""
    p = await people(engine, settings, gql, "ann", "bob")
    pid = await create_process(gql, {"name": "R", "children": [
        task("first", p.id("ann")), {"group": {"name": "H", "children": [task("bobs", p.id("bob"))]}}]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await set_user_active(engine, user_id=p.id("bob"), active=False)
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["first"]["id"]})  # H starts; bob can no longer act
    run, nodes = await read(gql, run["id"])
    assert nodes["bobs"]["status"] == "ERROR"
    assert nodes["H"]["status"] == "ERROR_HOLD" and nodes["R"]["status"] == "ERROR_HOLD"
    assert run["status"] == "ERROR_HOLD" and counts(run).get("ERROR") == 1
    assert (await do(p["ann"], "jobRunEdit", {"id": nodes["bobs"]["id"], "assignee": p.id("ann")},
                     "JobRunEditInput"))["errors"][0]["code"] == "FORBIDDEN"
    await ok(gql, "jobRunEdit", {"id": nodes["bobs"]["id"], "assignee": p.id("ann")}, "JobRunEditInput")
    await ok(gql, "jobRunRestart", {"id": nodes["bobs"]["id"]})
    run, nodes = await read(gql, run["id"])
    assert (nodes["bobs"]["status"], nodes["bobs"]["actionStatus"]) == ("RUNNING", "SENT")
    assert nodes["bobs"]["arguments"]["assignee"] == p.id("ann")
    assert nodes["H"]["status"] == "RUNNING" and run["status"] == "RUNNING"
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["bobs"]["id"]})
    run, nodes = await read(gql, run["id"])
    assert nodes["R"]["status"] == "COMPLETE" and counts(run) == {"COMPLETE": 2}


async def test_skip_completes_a_job_in_error(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "bob")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("bob"), trigger="MANUAL")]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await set_user_active(engine, user_id=p.id("bob"), active=False)
    await ok(gql, "jobRunStart", {"id": nodes["t"]["id"]})
    run, nodes = await read(gql, run["id"])
    assert nodes["t"]["status"] == "ERROR" and run["status"] == "ERROR_HOLD"
    await ok(gql, "jobRunSkip", {"id": nodes["t"]["id"], "comment": "bob left"})
    run, nodes = await read(gql, run["id"])
    assert (nodes["t"]["status"], nodes["t"]["actionStatus"]) == ("COMPLETE", "SKIPPED")
    assert run["status"] == "RUNNING" and nodes["R"]["status"] == "COMPLETE"


async def test_cancel_moves_through_cancelling_in_one_transaction(gql: GraphQLClient, engine: AsyncEngine,
                                                                  settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [
        {"group": {"name": "G", "parallel": True, "children": [task("a", p.id("ann")), task("b", p.id("ann"))]}},
        task("after", p.id("ann"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    before = len((await gql(EVENTS, {"id": run["id"]}))["processRun"]["events"]["edges"])
    await ok(gql, "groupRunCancel", {"id": nodes["G"]["id"], "comment": "not needed"})
    run, nodes = await read(gql, run["id"])
    assert nodes["G"]["status"] == "CANCELLED" and nodes["a"]["status"] == "CANCELLED"
    assert nodes["after"]["actionStatus"] == "SENT"  # the serial parent moved on
    events = [e["node"] for e in (await gql(EVENTS, {"id": run["id"]}))["processRun"]["events"]["edges"]][before:]
    g_status = [(e["fromValue"], e["toValue"]) for e in events if e["nodeId"] == nodes["G"]["id"]]
    assert g_status == [("running", "cancelling"), ("cancelling", "cancelled")]
    first_cancel = events.index(next(e for e in events if e["toValue"] == "cancelling"))
    last_cancel = events.index(next(e for e in events if e["nodeId"] == nodes["G"]["id"] and e["toValue"] == "cancelled"))
    assert {e["nodeId"] for e in events[first_cancel:last_cancel] if e["field"] == "status"} >= {
        nodes["a"]["id"], nodes["b"]["id"]}
    await ok(gql, "runCancel", {"id": run["id"]})
    run, nodes = await read(gql, run["id"])
    assert run["status"] == "CANCELLED" and nodes["after"]["status"] == "CANCELLED"
    assert (await do(p["ann"], "jobRunSubmit", {"id": nodes["after"]["id"]}))["errors"][0]["code"] == "INVALID_STATE"


async def test_add_job_runs_at_positions_and_reopen_completed_groups(gql: GraphQLClient, engine: AsyncEngine,
                                                                     settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("a", p.id("ann")), task("b", p.id("ann"))]},
                               autoClose=True)
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    add = {"runId": run["id"], "relativeSiblingId": nodes["b"]["id"], "jobs": [
        {"arguments": {"sendTask": {"title": "before b", "assignee": p.id("ann")}}}]}
    await ok(gql, "runJobRunsAdd", add, "RunJobRunsAddInput")
    await ok(gql, "runJobRunsAdd", {**add, "before": False, "jobs": [
        {"arguments": {"sendTask": {"title": "after b", "assignee": p.id("ann")}}}]}, "RunJobRunsAddInput")
    _, nodes = await read(gql, run["id"])
    order = sorted((n for n in nodes.values() if n["parentId"] == nodes["R"]["id"]), key=lambda n: n["ordinal"])
    assert [n["name"] for n in order] == ["a", "before b", "b", "after b"]
    for name in ("a", "before b", "b", "after b"):
        await ok(p["ann"], "jobRunSubmit", {"id": nodes[name]["id"]})
    run, nodes = await read(gql, run["id"])
    assert run["status"] == "COMPLETE"
    await ok(gql, "runJobRunsAdd", {"runId": run["id"], "jobs": [
        {"arguments": {"sendTask": {"title": "late", "assignee": p.id("ann")}}}]}, "RunJobRunsAddInput")
    run, nodes = await read(gql, run["id"])
    assert run["status"] == "RUNNING" and nodes["R"]["status"] == "RUNNING"
    assert nodes["late"]["actionStatus"] == "SENT" and nodes["late"]["ordinal"] == 4


async def test_relative_dates_move_with_the_run(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    root = {"name": "R", "dueDate": "2025-01-08", "children": [
        {"job": {"arguments": {"sendTask": {"title": "t", "assignee": p.id("ann"), "dueDate": "2025-01-10"}}}}]}
    pid = await create_process(gql, root, relativeDates=True, businessStartDate="2025-01-06",
                               businessEndDate="2025-12-31", dueDate="2025-01-13")
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    cal = BusinessCalendar.of(None, [], [])
    today = datetime.now(UTC).date()
    anchor = date(2025, 1, 6)
    assert nodes["t"]["arguments"]["dueDate"] == cal.shift(date(2025, 1, 10), anchor=anchor, run_started=today).isoformat()
    got = await gql("query($id: ID!) { processRun(id: $id) { dueDate } }", {"id": run["id"]})
    assert got["processRun"]["dueDate"] == cal.shift(date(2025, 1, 13), anchor=anchor, run_started=today).isoformat()


async def test_events_are_gapless_and_name_who_acted(gql: GraphQLClient, engine: AsyncEngine,
                                                     settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("a", p.id("ann")), task("b", p.id("ann"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["a"]["id"], "comment": "here it is"})
    events = [e["node"] for e in (await gql(EVENTS, {"id": run["id"]}))["processRun"]["events"]["edges"]]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    submit = [e for e in events if e["nodeId"] == nodes["a"]["id"] and e["toValue"] == "complete"]
    assert submit and all(e["user"]["id"] == p.id("ann") and e["comment"] == "here it is" for e in submit)
    page = await gql("""query($id: ID!) { processRun(id: $id) { events(first: 2) { pageInfo { endCursor }
        edges { node { sequence } } } } }""", {"id": run["id"]})
    cursor = page["processRun"]["events"]["pageInfo"]["endCursor"]
    rest = await gql("""query($id: ID!, $after: String) { processRun(id: $id) { events(after: $after) {
        edges { node { sequence } } } } }""", {"id": run["id"], "after": cursor})
    assert rest["processRun"]["events"]["edges"][0]["node"]["sequence"] == 3


async def test_inbox_lists_what_waits_for_each_user(gql: GraphQLClient, engine: AsyncEngine,
                                                    settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "apu")
    pid = await create_process(gql, {"name": "R", "parallel": True, "children": [
        task("mine", p.id("ann"), approver=p.id("apu")), task("also", p.id("ann"))]})
    run = await start(gql, pid)
    inbox = "query($s: ActionStatus) { viewer { jobRuns(status: $s) { id name actionStatus } } }"
    assert {j["name"] for j in (await p["ann"](inbox))["viewer"]["jobRuns"]} == {"mine", "also"}
    assert (await p["apu"](inbox))["viewer"]["jobRuns"] == []
    _, nodes = await read(gql, run["id"])
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["mine"]["id"]})
    assert [j["name"] for j in (await p["apu"](inbox, {"s": "APPROVAL"}))["viewer"]["jobRuns"]] == ["mine"]
    assert [j["name"] for j in (await p["ann"](inbox))["viewer"]["jobRuns"]] == ["also"]


async def test_no_job_runs_are_added_under_a_cancelled_group(gql: GraphQLClient, engine: AsyncEngine,
                                                            settings: Settings) -> None:
    """Found by the fuzzer: jobs added under a cancelled group never started, and the run closed around them."""
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [
        {"group": {"name": "G", "children": [task("a", p.id("ann"))]}}, task("b", p.id("ann"))]}, autoClose=True)
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await ok(gql, "groupRunCancel", {"id": nodes["G"]["id"]})
    refused = await do(gql, "runJobRunsAdd", {"runId": run["id"], "parentGroupRunId": nodes["G"]["id"], "jobs": [
        {"arguments": {"sendTask": {"title": "late", "assignee": p.id("ann")}}}]}, "RunJobRunsAddInput")
    assert [e["code"] for e in refused["errors"]] == ["INVALID_STATE"]
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["b"]["id"]})
    run, nodes = await read(gql, run["id"])
    assert run["status"] == "COMPLETE" and all(n["status"] in ("COMPLETE", "CANCELLED") for n in nodes.values())


async def test_skipping_a_certification_settles_its_generated_steps(gql: GraphQLClient, engine: AsyncEngine,
                                                                     settings: Settings) -> None:
    """Found by the fuzzer: a skipped certification left its signer job runs running inside a closed run."""
    p = await people(engine, settings, gql, "s1", "a1")
    pid = await create_process(gql, {"name": "R", "children": [cert([[p.id("s1")]], [[p.id("a1")]])]},
                               autoClose=True)
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await ok(gql, "jobRunSkip", {"id": nodes["SOX"]["id"], "comment": "not this quarter"})
    run, nodes = await read(gql, run["id"])
    assert run["status"] == "COMPLETE" and nodes["SOX"]["actionStatus"] == "SKIPPED"
    assert all(n["status"] in ("COMPLETE", "CANCELLED") for n in nodes.values())
