"""The seed's REST operations under /v1: one service call per endpoint (plus a read of what it wrote), the
seed's JSON through app/rest/models.py and app/rest/wire.py. No rules live here."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import replace
from typing import Any

import orjson
from starlette.responses import Response

from app.auth.service import READ, WRITE
from app.errors import LIMIT_EXCEEDED, NOT_FOUND, VALIDATION_ERROR, AppError, ServiceError
from app.process import edits, listing, revisions
from app.process import service as process_service
from app.rest import models, wire
from app.rest.door import Call, Operation, etag, json
from app.rest.errors import RestError
from app.run import service as run_service

PATCH_MEDIA = "application/json-patch+json"
FILTER = re.compile(r"^ *contains\( *name *, *'((?:[^'\x00]|'')*)' *\) *$")
ORDERS = {"name": "NAME", "dueDate": "DUE_DATE", "runCreated": "RUN_CREATED", "run.created.dateTime": "RUN_CREATED"}
ORDER_BY = tuple(f"{name}{suffix}" for name in ORDERS for suffix in ("", " asc", " desc"))
LIST_PARAMETERS = ("$maxpagesize", "$next", "$filter", "$orderBy")


def _not_found(kind: str, id_: str) -> RestError:
    return RestError(AppError(NOT_FOUND, f"No {kind} with id '{id_}' exists.", "id", {"id": id_}))


# ---- GET /v1/processes ----

def _bad(parameter: str, message: str, **meta: Any) -> RestError:
    return RestError(AppError(VALIDATION_ERROR, message, parameter, meta or None), 400)


def _order(value: str | None) -> listing.Order:
    if value is None:
        return listing.DEFAULT_ORDER
    if value not in ORDER_BY:
        raise _bad("$orderBy", f"$orderBy is one of {', '.join(ORDER_BY)}.", allowed=list(ORDER_BY))
    name, _, direction = value.partition(" ")
    return listing.Order(ORDERS[name], direction == "desc")


def _name_filter(value: str | None) -> str | None:
    if value is None:
        return None
    found = FILTER.match(value)
    if found is None:
        raise _bad("$filter", "$filter supports contains(name,'<text>') only (a quote inside the text is written "
                   "twice).", expected="contains(name,'<text>')")
    text = found.group(1).replace("''", "'")
    if len(text) > models.NAME:
        raise RestError(AppError(LIMIT_EXCEEDED, f"The $filter text is at most {models.NAME} characters (no name is "
                                 f"longer); got {len(text)}.", "$filter", {"limit": models.NAME, "actual": len(text)}), 400)
    return text or None


def _page_size(call: Call, value: str | None) -> int:
    if value is None:
        return call.settings.default_page_size
    maximum = call.settings.max_page_size
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise _bad("$maxpagesize", f"$maxpagesize is a whole number from 1 to {maximum}; got '{value[:40]}'.",
                   minimum=1, limit=maximum)
    return int(value)


def _next_token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")


def _next_state(token: str) -> dict[str, Any]:
    """The list state a `$next` token carries (order, filter, page size, the last row's key)."""
    try:
        state = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        order = _order(state["orderBy"])
        listing.parse_key(order, state["after"])
        _name_filter(state["filter"])
        if not isinstance(state["size"], int):
            raise TypeError("size")
    except (binascii.Error, ValueError, TypeError, KeyError, RestError) as exc:
        raise _bad("$next", "$next is not a token this API made; follow @nextLink as given.") from exc
    return dict(state)


async def list_processes(call: Call) -> Response:
    q = call.request.query_params
    unknown = sorted(set(q) - set(LIST_PARAMETERS))
    if unknown:
        raise _bad(unknown[0], f"Unknown query parameter '{unknown[0]}'; this list takes {', '.join(LIST_PARAMETERS)}.")
    if q.get("$next") is not None:
        state = _next_state(q["$next"])
        for parameter, key in (("$filter", "filter"), ("$orderBy", "orderBy")):
            if q.get(parameter) is not None and q[parameter] != state[key]:
                raise _bad(parameter, f"{parameter} cannot change while following $next; start a new list instead.")
        size = _page_size(call, q["$maxpagesize"]) if "$maxpagesize" in q else state["size"]
    else:
        state = {"orderBy": q.get("$orderBy"), "filter": q.get("$filter"), "after": None}
        size = _page_size(call, q.get("$maxpagesize"))
    order = _order(state["orderBy"])
    page, runs, counts = await run_service.process_summaries(
        engine=call.engine, actor=call.actor, first=size, after=state["after"], order=order,
        name_contains=_name_filter(state["filter"]))
    out: dict[str, Any] = {"data": [wire.process_summary(row, runs.get(row.latest_run_id), counts.get(
        row.latest_run_id)) for row in page.rows]}
    if page.has_next:
        token = _next_token({**state, "size": size, "after": listing.key_values(order, page.rows[-1])})
        out = {"@nextLink": f"/v1/processes?$next={token}", **out}
    return json(out)


# ---- one process ----

async def _process_response(call: Call, process_id: str, status: int = 200, *, exclude_generated: bool = False,
                            headers: dict[str, str] | None = None) -> Response:
    found = await process_service.read_process(engine=call.engine, actor=call.actor, process_id=process_id)
    if found is None:
        raise _not_found("process", process_id)
    row, tree = found
    return json(wire.process(row, tree, exclude_generated=exclude_generated), status,
                {**etag(row.revision), **(headers or {})})


def _flag(call: Call, name: str) -> bool:
    value = call.request.query_params.get(name)
    if value not in (None, "true", "false"):
        raise _bad(name, f"{name} is true or false.")
    return value == "true"


async def get_process(call: Call) -> Response:
    process_id = call.id("id", "process")
    return await _process_response(call, process_id, exclude_generated=_flag(call, "excludeGeneratedJobs"))


async def create_process(call: Call) -> Response:
    body = await call.body(models.ProcessInput)
    row = await process_service.create_process(engine=call.engine, actor=call.actor, spec=wire.process_spec(body))
    return await _process_response(call, row.id, 201, headers={"Location": f"/v1/processes/{row.id}"})


async def delete_process(call: Call) -> Response:
    process_id = call.id("id", "process")
    row = await edits.trash_process(engine=call.engine, actor=call.actor, process_id=process_id,
                                    expected_revision=call.if_match())
    return Response(status_code=204, headers=etag(row.revision))


def _patch_target(body: bytes) -> Any:
    """A refused patch operation is named by its path (`/dueDate`) when it has one."""
    try:
        operations = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None

    def target(loc: tuple[Any, ...]) -> str | None:
        if loc and isinstance(loc[0], int) and isinstance(operations, list) and loc[0] < len(operations):
            path = operations[loc[0]].get("path") if isinstance(operations[loc[0]], dict) else None
            return path if isinstance(path, str) and path.startswith("/") else f"[{loc[0]}]"
        return None
    return target


async def patch_process(call: Call) -> Response:
    process_id = call.id("id", "process")
    body = await call.body(models.ProcessJSONPatchDocument, media=(PATCH_MEDIA,),
                           targets=_patch_target(await call.request.body()))
    await edits.patch_process(engine=call.engine, actor=call.actor, process_id=process_id,
                              operations=wire.patch_operations(body), expected_revision=call.if_match())
    return await _process_response(call, process_id)


async def batch_update(call: Call) -> Response:
    process_id = call.id("id", "process")
    body = await call.body(models.BatchUpdate)
    await edits.batch_rename(engine=call.engine, actor=call.actor, process_id=process_id,
                             items=wire.batch_items(body), expected_revision=call.if_match())
    return await _process_response(call, process_id)


async def validate_process(call: Call) -> Response:
    process_id = call.id("id", "process")
    errors = await process_service.check_health(engine=call.engine, actor=call.actor, process_id=process_id)
    if errors is None:
        raise _not_found("process", process_id)
    return json({"errors": [wire.error(e) for e in errors]})


# ---- diff and revert ----

DIFF_PARAMETERS = {"from": "fromRevision", "to": "toRevision"}
REVISION = re.compile(r"-?[0-9]{1,18}")


def _revision(call: Call, name: str) -> int:
    value = call.request.query_params.get(name)
    if value is None or not REVISION.fullmatch(value):
        raise _bad(name, f"{name} is a revision of the process, a whole number from 1; got "
                   f"{'nothing' if value is None else repr(value[:40])}.", expected="integer")
    return int(value)


async def diff_process(call: Call) -> Response:
    process_id = call.id("id", "process")
    unknown = sorted(set(call.request.query_params) - set(DIFF_PARAMETERS))
    if unknown:
        raise _bad(unknown[0], f"Unknown query parameter '{unknown[0]}'; the diff takes from and to.")
    from_revision, to_revision = _revision(call, "from"), _revision(call, "to")
    try:
        found = await revisions.diff_process(engine=call.engine, actor=call.actor, process_id=process_id,
                                             from_revision=from_revision, to_revision=to_revision)
    except ServiceError as exc:  # the service names the arguments as GraphQL does; this door calls them from, to
        names = {service: rest for rest, service in DIFF_PARAMETERS.items()}
        raise RestError([replace(e, target=names.get(e.target or "", e.target)) for e in exc.errors]) from exc
    if found is None:
        raise _not_found("process", process_id)
    return json(wire.process_diff(found))


async def revert_process(call: Call) -> Response:
    process_id = call.id("id", "process")
    body = await call.body(models.ProcessRevert)
    await revisions.revert_process(engine=call.engine, actor=call.actor, process_id=process_id,
                                   to_revision=body.to_revision, expected_revision=call.if_match())
    return await _process_response(call, process_id)


# ---- runs ----

async def _run_response(call: Call, run_id: str, status: int = 200, headers: dict[str, str] | None = None
                        ) -> Response:
    found = await run_service.read_run(engine=call.engine, actor=call.actor, run_id=run_id)
    if found is None:
        raise _not_found("run", run_id)
    row, groups, jobs = found
    return json(wire.run(row, groups, jobs), status, {**etag(row.revision), **(headers or {})})


async def start_run(call: Call) -> Response:
    process_id = call.id("id", "process")
    row = await run_service.start_run(engine=call.engine, actor=call.actor, process_id=process_id)
    return await _run_response(call, row.id, 201, {"Location": f"/v1/processRuns/{row.id}"})


async def get_run(call: Call) -> Response:
    return await _run_response(call, call.id("id", "run"))


async def add_job_runs(call: Call) -> Response:
    run_id = call.id("id", "run")
    body = await call.body(models.JobRunsAdd)
    row, added = await run_service.add_job_runs(
        engine=call.engine, actor=call.actor, run_id=run_id, specs=[wire.job_spec(j) for j in body.jobs],
        parent_group_run_id=body.parent_group_id, relative_sibling_id=body.relative_sibling_id, before=body.before)
    found = await run_service.read_run(engine=call.engine, actor=call.actor, run_id=row.id)
    assert found is not None
    _, groups, jobs = found
    return json({"data": wire.job_runs(groups, jobs, added)}, 201,
                {**etag(row.revision), "Location": f"/v1/processRuns/{row.id}"})


OPERATIONS = (
    Operation("GET", "/processes", READ, list_processes, "listProcesses"),
    Operation("POST", "/processes", WRITE, create_process, "createProcess"),
    Operation("GET", "/processes/{id}", READ, get_process, "getProcess"),
    Operation("DELETE", "/processes/{id}", WRITE, delete_process, "deleteProcess"),
    Operation("PATCH", "/processes/{id}", WRITE, patch_process, "patchProcess"),
    Operation("POST", "/processes/{id}/batchUpdates", WRITE, batch_update, "batchUpdateProcess"),
    Operation("POST", "/processes/{id}/validation", READ, validate_process, "validateProcess"),
    Operation("GET", "/processes/{id}/diff", READ, diff_process, "diffProcess"),
    Operation("POST", "/processes/{id}/revert", WRITE, revert_process, "revertProcess"),
    Operation("POST", "/processes/{id}/run", WRITE, start_run, "runProcess"),
    Operation("GET", "/processRuns/{id}", READ, get_run, "getProcessRun"),
    Operation("POST", "/processRuns/{id}/jobRuns", WRITE, add_job_runs, "addJobRuns"),
)
