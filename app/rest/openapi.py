"""The OpenAPI 3.1 document of the REST door, generated from the models that validate its requests.

Served at /v1/openapi.json and committed as `openapi.json` (scripts/export-schema regenerates it; a test
fails when it is stale). `python -m app.rest.openapi <path>` writes it.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from app.errors import ERROR_CODES
from app.process import limits
from app.process.health import HEALTH_CODES
from app.rest import models
from app.rest.routes import FILTER, OPERATIONS, ORDER_BY, PATCH_MEDIA
from app.settings import ROOT

ID_PATTERN = "^[0-9a-f]{32}$"
JSON = "application/json"
_CODES = "; ".join(f"`{code}`: {text}" for code, text in {**ERROR_CODES, **HEALTH_CODES}.items())

DESCRIPTION = f"""The seed's Processes API (`/v1`) served by Processgraph beside its GraphQL endpoint, from the
same services: the same tokens, scopes, workspaces, limits, rate limit, request log and metrics.

Authenticate every request with `Authorization: Bearer <token>`. Reads and validation need the `read`
scope, everything else `write`. Bodies are JSON in the seed's spelling; read-only fields are accepted in
requests and ignored, unknown fields are refused. Reads and writes answer an `ETag` (the revision);
`If-Match` on PATCH, DELETE, batch updates and reverts refuses a stale revision with 412. Errors use the seed's
Error shape. Codes: {_CODES}."""


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description,
                           "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if headers:
        out["headers"] = headers
    return out


_RETRY = {"Retry-After": {"description": "Seconds to wait before retrying.", "required": True,
                          "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
_ETAG = {"ETag": {"description": 'The revision, quoted: `"<revision>"`; send it back in `If-Match`.',
                  "required": True, "schema": {"type": "string", "pattern": '^"[0-9]+"$'}}}
_LOCATION = {"Location": {"description": "The path of the created resource.", "required": True,
                          "schema": {"type": "string"}}}
ALWAYS = {
    "401": _error("No usable bearer token (missing, malformed, unknown, revoked, or of a deactivated user).",
                  {"WWW-Authenticate": {"description": "The bearer scheme.", "schema": {"type": "string"}}}),
    "403": _error("The token lacks the scope this operation needs (`FORBIDDEN`)."),
    "413": _error(f"The request body is larger than the limit ({10 * 1024 * 1024} bytes by default)."),
    "429": _error("The token's rate limit, or the address's failed-authentication budget, is spent.", _RETRY),
    "503": _error("The request ran past its time budget (`TIMEOUT`) or the service is unavailable."),
}


def _id_parameter(kind: str) -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, "description": f"The {kind}'s id (32 lowercase hex "
            "characters); an id of another workspace answers 404 exactly as an unknown id does.",
            "schema": {"type": "string", "pattern": ID_PATTERN}}


IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": 'Refuse with 412 (and write nothing) unless the process is at this revision: the '
            '`ETag` of an earlier answer, `"<revision>"`. Left out or `*`: any revision. The comparison is '
            'strong (RFC 9110 §13.1.1): a weak tag (`W/"<revision>"`) never matches, so it is refused with 412.',
            "schema": {"type": "string", "pattern": '^(\\*|(W/)?"[0-9]{1,18}")$'}}
_PROCESS_LINKS = {name: {"operationId": name, "parameters": {"id": "$response.body#/id"},
                         "description": f"{name} of the process just written."}
                  for name in ("getProcess", "deleteProcess", "patchProcess", "batchUpdateProcess", "validateProcess",
                               "runProcess", "revertProcess")}
_RUN_LINKS = {name: {"operationId": name, "parameters": {"id": "$response.body#/id"},
                     "description": f"{name} of the run just started."} for name in ("getProcessRun", "addJobRuns")}
LIST_PARAMETERS = [
    {"name": "$maxpagesize", "in": "query", "required": False,
     "description": "How many summaries per page: 1 to 1000, default 100.",
     "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
    {"name": "$next", "in": "query", "required": False,
     "description": "The opaque token of the next page, from `@nextLink` (which carries the filter, order and page "
     "size); a token this API did not make is refused with 400.", "schema": {"type": "string", "minLength": 1}},
    {"name": "$filter", "in": "query", "required": False,
     "description": "Only `contains(name,'<text>')`: names containing the text, compared casefolded; a quote inside "
     f"the text is written twice (`'o''brien'`); the text is at most {limits.MAX_NAME_LENGTH} characters. Anything "
     "else is refused with 400 naming `$filter`.",
     "schema": {"type": "string", "pattern": FILTER.pattern, "maxLength": limits.MAX_NAME_LENGTH + 20}},
    {"name": "$orderBy", "in": "query", "required": False,
     "description": "`name`, `dueDate` or `runCreated` (also spelt `run.created.dateTime`), optionally followed by "
     "` asc` (the default) or ` desc`. Rows without a due date or run come last either way; ties by name, then id. "
     "Default: newest run first.", "schema": {"type": "string", "enum": list(ORDER_BY)}},
]
DIFF_PARAMETERS = [
    {"name": name, "in": "query", "required": True, "description": f"The revision {what} (1 to the process's "
     "current revision; either may be the later one).", "schema": {"type": "integer", "minimum": 1}}
    for name, what in (("from", "to start from"), ("to", "to arrive at"))]
EXCLUDE = {"name": "excludeGeneratedJobs", "in": "query", "required": False,
           "description": "Hide the groups and jobs generated for certification jobs.",
           "schema": {"type": "boolean", "default": False}}


def _body(name: str, media: str = JSON) -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _ok(status: str, name: str | None, description: str, headers: dict[str, Any],
        links: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "headers": headers}
    if name is not None:
        out["content"] = {JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}}
    if links:
        out["links"] = links
    return {status: out}


# operation name -> (summary, parameters, request body, success responses, error statuses)
SPECS: dict[str, tuple[str, list[dict[str, Any]], dict[str, Any] | None, dict[str, Any], dict[str, str]]] = {
    "listProcesses": (
        "List live processes as summaries with their latest run (the seed's GET /processes).",
        LIST_PARAMETERS, None,
        _ok("200", "ProcessesListResult", "A page of summaries; `@nextLink` is left out on the last page.", {}),
        {"400": "A list parameter outside the documented ones (`target` names it)."}),
    "createProcess": (
        "Create a process with its whole tree (all or nothing).", [], _body("ProcessInput"),
        _ok("201", "Process", "The created process.", {**_ETAG, **_LOCATION}, _PROCESS_LINKS),
        {"400": "The body breaks a rule of the model (every problem listed in `details`).",
         "415": "The body is not `application/json`."}),
    "getProcess": (
        "One live process with its whole tree.", [_id_parameter("process"), EXCLUDE], None,
        _ok("200", "Process", "The process.", _ETAG),
        {"400": "`excludeGeneratedJobs` is not true or false.", "404": "No such live process in this workspace."}),
    "deleteProcess": (
        "Move a process to the trash (restore and purge are GraphQL mutations); its runs stay readable.",
        [_id_parameter("process"), IF_MATCH], None,
        _ok("204", None, "Trashed; the ETag is the trashed process's revision.", _ETAG),
        {"400": "A malformed If-Match.", "404": "No such live process in this workspace.",
         "412": "If-Match names another revision (`CONFLICT`, `meta.currentRevision`)."}),
    "patchProcess": (
        "Apply a JSON Patch (the seed's ProcessJSONPatchDocument): all operations or none.",
        [_id_parameter("process"), IF_MATCH], _body("ProcessJSONPatchDocument", PATCH_MEDIA),
        _ok("200", "Process", "The process after the patch.", _ETAG),
        {"400": "An operation outside the seed's table or a bad value (`target`: its path).",
         "404": "No such live process in this workspace.",
         "409": "The root group is read-only (`READ_ONLY`).",
         "412": "If-Match names another revision (`CONFLICT`).", "415": "The body is not "
         "`application/json-patch+json`."}),
    "batchUpdateProcess": (
        "Rename jobs and groups in one batch (0 to 3000 items): all or none.",
        [_id_parameter("process"), IF_MATCH], _body("BatchUpdate"),
        _ok("200", "Process", "The process after the batch.", _ETAG),
        {"400": "An item breaks a rule (`target`: `data[i]`).",
         "404": "No such process, or an item names no job or group of it (`target`: `data[i]`).",
         "409": "An item names a generated node or one under a read-only group (`READ_ONLY`).",
         "412": "If-Match names another revision (`CONFLICT`).", "415": "The body is not `application/json`."}),
    "validateProcess": (
        "The health check: every problem a run would meet. An invalid process is a normal answer.",
        [_id_parameter("process")], None,
        _ok("200", "ProcessValidationResults", "The problems; empty when the process can run.", {}),
        {"404": "No such live process in this workspace."}),
    "diffProcess": (
        "What changed between two revisions: a JSON Patch composed from the stored history, and in words "
        "(nodes added, removed, renamed, moved and changed; process fields changed).",
        [_id_parameter("process"), *DIFF_PARAMETERS], None,
        _ok("200", "ProcessDiff", "The diff; applied to the state at `from`, `operations` give the state at `to`.",
            {}),
        {"400": "`from` or `to` is missing, not a whole number, or not a revision of the process (1 to the "
                "current revision; `target` names it, `meta.max` the current revision).",
         "404": "No such live process in this workspace."}),
    "revertProcess": (
        "Return a process to the state it had at an earlier revision, as one new revision (the inverse patches "
        "from the current revision back to `toRevision`; history keeps everything, a revert can be reverted). "
        "Nodes removed since come back under their old ids; the trash state is not reverted; runs are never "
        "changed (each works on its own copy of the tree). All or nothing.",
        [_id_parameter("process"), IF_MATCH], _body("ProcessRevert"),
        _ok("200", "Process", "The process after the revert (unchanged when `toRevision` is the current one).",
            _ETAG),
        {"400": "`toRevision` is not a revision of the process, or the state at it breaks a rule in force now "
                "(`target`: `toRevision`, `meta.path`: the field).",
         "404": "No such live process in this workspace.",
         "409": "A group read-only now and at `toRevision` would change (`READ_ONLY`, `meta.readOnlyGroupId`).",
         "412": "If-Match names another revision (`CONFLICT`, `meta.currentRevision`).",
         "415": "The body is not `application/json`."}),
    "runProcess": (
        "Start a run of a process (its definition is copied into a run-time tree).",
        [_id_parameter("process")], None,
        _ok("201", "ProcessRun", "The started run.", {**_ETAG, **_LOCATION}, _RUN_LINKS),
        {"404": "No such live process in this workspace.",
         "409": "The health check found problems (each in `details`, codes as in validation)."}),
    "getProcessRun": (
        "A run with its run-time tree.", [_id_parameter("run")], None,
        _ok("200", "ProcessRun", "The run.", _ETAG), {"404": "No such run in this workspace."}),
    "addJobRuns": (
        "Add jobs to a running run (under a group run, before or after a sibling, or appended); only the "
        "run's manager may.", [_id_parameter("run")], _body("JobRunsAdd"),
        _ok("201", "JobRunsAdded", "The added job runs.", {**_ETAG, **_LOCATION}),
        {"400": "A job breaks a rule, or the sibling is not a child of the parent.",
         "403": "Only the run's manager adds job runs.",
         "404": "No such run, or no such group run in it (`parentGroupId`).",
         "409": "The run is closed or the parent group run is cancelled or generated.",
         "415": "The body is not `application/json`."}),
}

COMPONENTS = (models.ProcessInput, models.Process, models.ProcessesListResult, models.ProcessJSONPatchDocument, models.BatchUpdate,
              models.ProcessValidationResults, models.ProcessDiff, models.ProcessRevert, models.ProcessRun, models.JobRunsAdd, models.JobRunsAdded, models.Error)


def _clean(node: Any) -> Any:
    """Drop pydantic's titles and `default: null` (a never-null field's default is its absence); an array's
    length bounds are maxItems/minItems."""
    if isinstance(node, list):
        return [_clean(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    if node.get("type") == "array":  # a length bound on an optional list lands on the union as maxLength
        node = {{"maxLength": "maxItems", "minLength": "minItems"}.get(k, k): v for k, v in node.items()}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):  # property names (`title`!) are kept
            out[key] = {name: _clean(schema) for name, schema in value.items()}
        elif key != "title" and not (key == "default" and value is None):
            out[key] = _clean(value)
    return out


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    _, top = models_json_schema([(model, "validation") for model in COMPONENTS],
                                ref_template="#/components/schemas/{model}")
    schemas = _clean(top["$defs"])
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        summary, parameters, body, success, errors = SPECS[op.name]
        responses = {**success, **{s: _error(d) for s, d in errors.items()}}
        for status, response in ALWAYS.items():
            responses.setdefault(status, response)
        operation: dict[str, Any] = {
            "operationId": op.name, "summary": summary,
            "description": f"{summary} Needs the `{op.scope}` scope.",
            "tags": ["processRuns" if op.path.startswith("/processRuns") else "processes"],
            "parameters": parameters, "responses": dict(sorted(responses.items()))}
        if body is not None:
            operation["requestBody"] = body
        paths.setdefault(f"/v1{op.path}", {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Processgraph REST API (the seed's Processes API)", "version": "1.0.0",
                 "description": DESCRIPTION},
        "servers": [{"url": "/", "description": "This gateway."}],
        "tags": [{"name": "processes", "description": "Process definitions: create, read, change, delete, run."},
                 {"name": "processRuns", "description": "Runs of processes."}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer", "description": "An API token (`pgt_...`, from `scripts/admin "
            "create-token`) or an OpenID Connect ID token when sign-in is configured."}}},
    }


def text() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


async def endpoint(_request: Request) -> Response:
    """GET /v1/openapi.json: public, like the GraphQL schema's introspection page."""
    return Response(text(), media_type=JSON)


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "openapi.json"
    target.write_text(text())
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv)
