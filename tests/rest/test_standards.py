"""The REST door follows the standards it cites (issue 28, point 9) and reads the one patch table (point 8):
each test goes through HTTP and fails without its fix."""

from __future__ import annotations

from typing import Any, get_args

import httpx

from app.process import patch as patch_table
from app.rest import models
from tests.rest.helpers import assert_error, create, job, patch, process_body


def _variant_paths(model: type[Any]) -> set[str]:
    return set(get_args(model.model_fields["path"].annotation))


def test_the_rest_patch_models_are_the_one_table() -> None:
    # Given the REST variants of a patch operation
    variants = [models.PatchReplaceDate, models.PatchReplaceFlag, models.PatchReplaceName, models.PatchReplaceTrigger,
                models.PatchReplaceWeekdays, models.PatchReplaceDates, models.PatchReplaceCalendars,
                models.PatchReplaceReminders]
    # Then together they replace exactly the table's paths, and remove exactly its removable ones
    replaced = set().union(*(_variant_paths(v) for v in variants))
    assert replaced == set(patch_table.paths_of(op="replace")) == set(patch_table.PATHS)
    assert _variant_paths(models.PatchRemove) == set(patch_table.paths_of(op="remove"))
    assert patch_table.table_text() in (models.ProcessJSONPatchDocument.__doc__ or "")


async def test_members_an_operation_does_not_define_are_ignored(http: httpx.AsyncClient) -> None:
    # Given a process with a due date
    made = await create(http)
    await patch(http, made["id"], [{"op": "replace", "path": "/dueDate", "value": "2030-01-02"}])
    # When a patch's operations carry members their op does not define (RFC 6902 §4)
    answer = await patch(http, made["id"], [
        {"op": "remove", "path": "/dueDate", "value": "2031-01-01", "from": "/name"},
        {"op": "replace", "path": "/name", "value": "Renamed", "from": "/x", "comment": 1}])
    # Then they are ignored: the remove removes, the replace replaces
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Renamed" and "dueDate" not in answer.json()


async def test_an_operation_without_a_member_it_defines_is_still_refused(http: httpx.AsyncClient) -> None:
    made = await create(http)
    assert_error(await patch(http, made["id"], [{"op": "replace", "path": "/name"}]), 400, "REQUIRED")


async def test_if_match_compares_strongly(http: httpx.AsyncClient) -> None:
    # Given a process at revision 1
    made = await create(http)
    # When a patch sends the current revision as a weak tag
    weak = await patch(http, made["id"], [{"op": "replace", "path": "/name", "value": "X"}], **{"If-Match": 'W/"1"'})
    # Then it does not match (RFC 9110 §13.1.1): 412, nothing written
    assert_error(weak, 412, "CONFLICT", "If-Match")
    assert (await http.get(f"/v1/processes/{made['id']}")).json()["name"] == made["name"]
    strong = await patch(http, made["id"], [{"op": "replace", "path": "/name", "value": "X"}], **{"If-Match": '"1"'})
    assert strong.status_code == 200, strong.text


async def test_error_meta_values_are_strings_or_null(http: httpx.AsyncClient) -> None:
    # Given a process at revision 1
    made = await create(http)
    # When a stale If-Match is refused (its meta holds revisions, numbers in the service's error)
    stale = assert_error(await http.delete(f"/v1/processes/{made['id']}", headers={"If-Match": '"7"'}), 412,
                         "CONFLICT")
    # and a body with several problems is refused (details with an index)
    bad = (await http.post("/v1/processes", json={"name": "", "root": []})).json()
    # Then every meta value is a string or null, as the seed's Error types it
    metas = [stale["meta"], bad["meta"], *(d["meta"] for d in bad["details"] or [])]
    assert stale["meta"]["currentRevision"] == "1" and stale["meta"]["expectedRevision"] == "7"
    for meta in metas:
        assert meta is None or all(v is None or isinstance(v, str) for v in meta.values()), meta


async def test_unknown_paths_and_methods_under_v1_answer_the_error_shape(http: httpx.AsyncClient) -> None:
    # Given paths the door does not have, and methods its paths do not take
    answers = {
        "GET /v1/nothing": await http.get("/v1/nothing"),
        "GET /v1": await http.get("/v1"),
        "POST /v1/processes/x/y/z": await http.post("/v1/processes/x/y/z", json={}),
        "PUT /v1/processes": await http.put("/v1/processes", json={}),
        "POST /v1/openapi.json": await http.post("/v1/openapi.json"),
        "DELETE /v1/openapi.json": await http.delete("/v1/openapi.json"),
    }
    # Then each answers JSON in the seed's Error shape: 404 for a path, 405 with Allow for a method
    for name in ("GET /v1/nothing", "GET /v1", "POST /v1/processes/x/y/z"):
        assert_error(answers[name], 404, "NOT_FOUND")
    for name in ("PUT /v1/processes", "POST /v1/openapi.json", "DELETE /v1/openapi.json"):
        assert_error(answers[name], 405, "METHOD_NOT_ALLOWED")
        assert answers[name].headers["allow"]
    assert (await http.get("/v1/openapi.json")).json()["openapi"].startswith("3.1")


async def test_job_tags_are_read_only(http: httpx.AsyncClient) -> None:
    # Given a job sent with tags (read-only in the seed)
    made = await create(http, process_body("Tagged", job("Review", tags=[{"category": "area", "value": "x"}])))
    # Then the request is accepted and the tags are ignored, like every field the server writes
    assert made["root"]["children"][0]["job"]["tags"] == []
    document = (await http.get("/v1/openapi.json")).json()["components"]["schemas"]
    assert document["ProcessJobInput"]["properties"]["tags"]["readOnly"] is True


async def test_reminders_only_with_mode_custom_is_in_the_document(http: httpx.AsyncClient) -> None:
    # Given the ReminderData schema of the served document
    schema = (await http.get("/v1/openapi.json")).json()["components"]["schemas"]["ReminderData"]
    # Then it says what the service refuses: with another mode, no reminders
    assert schema["if"]["properties"]["mode"]["const"] == "custom" and schema["if"]["required"] == ["mode"]
    assert schema["else"]["properties"]["reminders"]["maxItems"] == 0
    reminder = {"daysFromDue": -1, "subject": "S", "body": "B"}
    refused = await http.post("/v1/processes", json=process_body(
        defaultCertSignerReminders={"mode": "default", "reminders": [reminder]}))
    assert_error(refused, 400, "VALIDATION_ERROR")
    kept = await create(http, process_body(defaultCertSignerReminders={"mode": "custom", "reminders": [reminder]}))
    assert kept["defaultCertSignerReminders"]["reminders"] == [reminder]
