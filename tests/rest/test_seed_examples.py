"""Every JSON example of the seed (issue 17, point 2), from tests/data/seed_examples.json.

That file holds the `Example#` JSON of each schema heading of the seed's model reference
(processes-api-models.txt), copied once as the seed wrote them, so that the repository's tests need nothing
outside it (issue 28, point 5).

Each example is valid under the model of its name (app/rest/models.py, the models that validate requests and
make the OpenAPI document); each input example is accepted by the endpoint that takes it; each output example
is reproduced field for field by a real answer. "Field for field": every field of the example is in the
answer with the same value, except
- ids (keys `id`, `process`, `managerUser`, `sourceProcessRun`, `jobId`, an error's `target` naming a job):
  present, as strings;
- times (`dateTime`, `completedDate`): present, as UTC date-times or (completedDate of a running run) null;
- `processTemplate`: process templates are out of scope (docs/data-model.md, Out of scope), so it is never set;
- `statusCounts`: the seed's example keys (`Completed`, `Running`, `Waiting`) are none of its status
  spellings; ours are the seven statuses (`complete`, `running`, `waiting`, ... zeros included), so the
  example's keys are compared lower-cased with `Completed` as `complete`;
- prose (`message`) and `@nextLink` (`<opaque_url>`): present, as strings.
Answers carry more fields than the examples show (the examples are partial); those are not compared.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.rest import models as m
from app.settings import DEV_USER_ID, ROOT
from tests.helpers import GraphQLClient
from tests.rest.helpers import create, patch

SEED_EXAMPLES = ROOT / "tests" / "data" / "seed_examples.json"


def seed_examples(path: Path = SEED_EXAMPLES) -> dict[str, Any]:
    """Schema name -> its example, as the seed wrote it."""
    examples: dict[str, Any] = json.loads(path.read_text())["examples"]
    return examples


EXAMPLES = seed_examples()
OUTPUT_MODELS: dict[str, type[Any]] = {
    "Action": m.Action, "User": m.User, "Error": m.Error, "ErrorDetail": m.ErrorDetail,
    "ProcessGroup": m.ProcessGroup, "ProcessGroupChild": m.ProcessGroupChild, "ProcessJob": m.ProcessJob,
    "Process": m.Process, "ProcessesListResult": m.ProcessesListResult, "ProcessRunSummary": m.ProcessRunSummary,
    "ProcessSummary": m.ProcessSummary, "ProcessValidationResults": m.ProcessValidationResults,
}
INPUT_MODELS: dict[str, type[Any]] = {
    "BatchUpdate": m.BatchUpdate, "BatchUpdateItem": m.BatchUpdateItem, "JobNameUpdate": m.JobNameUpdate,
    "ProcessGroupNameUpdate": m.ProcessGroupNameUpdate, "ProcessJSONPatchDocument": m.ProcessJSONPatchDocument,
    "Process": m.ProcessInput, "ProcessGroup": m.ProcessGroupInput, "ProcessGroupChild": m.ProcessGroupChildInput,
    "ProcessJob": m.ProcessJobInput,
}
REQUIRED = {"Process", "ProcessGroup", "ProcessJob", "BatchUpdate", "BatchUpdateItem", "JobNameUpdate",
            "ProcessGroupNameUpdate", "ProcessJSONPatchDocument", "ProcessSummary", "ProcessRunSummary",
            "ProcessesListResult", "ProcessValidationResults", "Error"}
ID_KEYS = {"id", "process", "managerUser", "sourceProcessRun", "jobId"}
TIME_KEYS = {"dateTime", "completedDate"}
PROSE_KEYS = {"message", "@nextLink"}


def test_the_seed_has_every_example_the_issue_names() -> None:
    assert set(EXAMPLES) >= REQUIRED | {"ProcessGroupChild", "Action", "User", "ErrorDetail"}


@pytest.mark.parametrize("name", sorted(OUTPUT_MODELS))
def test_output_examples_are_valid_under_the_response_models(name: str) -> None:
    OUTPUT_MODELS[name].model_validate_json(json.dumps(EXAMPLES[name]))


@pytest.mark.parametrize("name", sorted(INPUT_MODELS))
def test_input_examples_are_valid_under_the_request_models(name: str) -> None:
    INPUT_MODELS[name].model_validate_json(json.dumps(EXAMPLES[name]))


def assert_reproduced(example: Any, got: Any, where: str = "") -> None:
    """Every field of `example` is in `got` with the same value (ids, times, prose and the documented
    exceptions aside: see the module docstring)."""
    if isinstance(example, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not an object"
        for key, value in example.items():
            path = f"{where}.{key}"
            if key == "processTemplate":
                assert got.get(key) is None, path  # out of scope: never set
            elif key == "statusCounts":
                want = {("complete" if k == "Completed" else k.lower()): v for k, v in value.items()}
                assert {k: v for k, v in got[key].items() if v} == want, path
            elif key in ID_KEYS or key in PROSE_KEYS:
                assert isinstance(got.get(key), str), f"{path} missing from {got!r}"
            elif key in TIME_KEYS:
                assert key in got and (got[key] is None or re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", got[key])), path
            else:
                assert key in got, f"{path} missing from {got!r}"
                assert_reproduced(value, got[key], path)
    elif isinstance(example, list):
        assert isinstance(got, list) and len(got) == len(example), f"{where}: {got!r}"
        for i, (e, g) in enumerate(zip(example, got, strict=True)):
            assert_reproduced(e, g, f"{where}[{i}]")
    else:
        assert got == example, f"{where}: {got!r} != {example!r}"


RUN_FROM = """mutation($input: ProcessCreateFromRunInput!) { processCreateFromRun(input: $input) {
  errors { code message } process { id sourceProcessRun } } }"""
SUBMIT = """mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code message } } }"""


def _task(title: str, trigger: str = "whenEligible") -> dict[str, Any]:
    return {"type": "job", "job": {"triggerType": trigger, "arguments": {
        "type": "sendTask", "sendTaskArgs": {"title": title, "assignee": DEV_USER_ID}}}}


async def test_definition_examples_in_and_out(http: httpx.AsyncClient) -> None:
    """Process, ProcessGroup, ProcessGroupChild and ProcessJob go in as requests and come back out; the
    patch and batch examples (with real ids in place of theirs) apply."""
    accepted = await http.post("/v1/processes", json=EXAMPLES["Process"])
    assert accepted.status_code == 201, accepted.text  # read-only fields (id, revision, created, ...) ignored
    body = {**EXAMPLES["Process"], "root": {**EXAMPLES["ProcessGroup"], "children": [
        EXAMPLES["ProcessGroupChild"], {"type": "job", "job": EXAMPLES["ProcessJob"]},
        {"type": "group", "group": EXAMPLES["ProcessGroup"]}]}}
    made = await create(http, body)
    kids = made["root"]["children"]
    assert_reproduced(EXAMPLES["ProcessGroup"], made["root"], "root")
    assert_reproduced(EXAMPLES["ProcessGroupChild"], kids[0], "children[0]")
    assert_reproduced(EXAMPLES["ProcessJob"], kids[1]["job"], "children[1].job")
    assert_reproduced(EXAMPLES["ProcessGroup"], kids[2]["group"], "children[2].group")

    patched = await patch(http, made["id"], EXAMPLES["ProcessJSONPatchDocument"])
    assert patched.status_code == 200, patched.text
    assert "dueDate" not in patched.json() and patched.json()["autoClose"] is True

    job_id, group_id = kids[1]["job"]["id"], kids[2]["group"]["id"]
    real = {"jobId123": job_id, "groupId123": group_id, "jobId2342342": job_id, "groupId2342342": group_id}

    def with_real_ids(example: Any) -> Any:
        return json.loads(re.sub(r'"(jobId123|groupId123|jobId2342342|groupId2342342)"',
                                 lambda found: json.dumps(real[found.group(1)]), json.dumps(example)))

    batches = [
        with_real_ids(EXAMPLES["BatchUpdate"]),
        {"data": [with_real_ids(EXAMPLES["BatchUpdateItem"])]},
        {"data": [{"type": "jobName", "jobNameUpdate": with_real_ids(EXAMPLES["JobNameUpdate"])},
                  {"type": "groupName", "groupNameUpdate": with_real_ids(EXAMPLES["ProcessGroupNameUpdate"])}]},
    ]
    names = [("newJobTitle", "newGroupTitle"), ("new job name", "newGroupTitle"), ("new job name", "new group name")]
    for batch, (job_name, group_name) in zip(batches, names, strict=True):
        done = await http.post(f"/v1/processes/{made['id']}/batchUpdates", json=batch)
        assert done.status_code == 200, done.text
        after = done.json()["root"]["children"]
        assert after[1]["job"]["arguments"]["sendTaskArgs"]["title"] == job_name
        assert after[2]["group"]["name"] == group_name


async def test_summary_run_and_list_examples_are_reproduced(http: httpx.AsyncClient, gql: GraphQLClient) -> None:
    """A process made like the seed's: copied from a run (sourceProcessRun), run with 5 job runs complete, 3
    running and 2 waiting, then patched to the example's values (revision 3). Its GET, its list summary,
    the run summary and the list page reproduce Process, ProcessSummary, ProcessRunSummary and
    ProcessesListResult."""
    example = EXAMPLES["Process"]
    name = example["name"]
    source = await create(http, {"name": f"{name} (source)", "autoClose": True, "certAutoApprove": True,
                                 "relativeDates": False, "root": {
                                     "name": example["root"]["name"], "parallel": False, "readOnly": False,
                                     "children": [{"type": "group", "group": {
                                         "name": "Tasks", "parallel": True, "readOnly": False,
                                         "children": [_task(f"Task {i}") for i in range(8)]
                                         + [_task(f"Later {i}", "manual") for i in range(2)]}}]}})
    source_run = (await http.post(f"/v1/processes/{source['id']}/run")).json()
    copied = (await gql(RUN_FROM, {"input": {"runId": source_run["id"], "name": name}}))["processCreateFromRun"]
    assert copied["errors"] == []
    pid = copied["process"]["id"]
    assert (await patch(http, pid, [{"op": "replace", "path": "/dueDate", "value": "2024-12-31"}])).status_code == 200
    run = (await http.post(f"/v1/processes/{pid}/run")).json()
    tasks = run["root"]["children"][0]["group"]["children"]
    for child in tasks[:5]:
        assert (await gql(SUBMIT, {"id": child["job"]["id"]}))["jobRunSubmit"]["errors"] == []
    final = [{"op": "replace", "path": f"/{key}", "value": example[key]} for key in (
        "dueDate", "businessStartDate", "businessEndDate", "businessDaysOfWeek", "businessDateExclusions",
        "businessDateInclusions", "defaultCertApproverReminders", "defaultCertSignerReminders", "autoClose",
        "certAutoApprove", "relativeDates")] + [{"op": "replace", "path": "/calendarIds", "value": example["calendars"]}]
    assert (await patch(http, pid, final)).status_code == 200

    process = (await http.get(f"/v1/processes/{pid}")).json()
    assert_reproduced(example, process, "Process")
    page = (await http.get("/v1/processes", params={"$filter": f"contains(name,'{name}')", "$maxpagesize": "1"}))
    listed = page.json()
    assert [p["id"] for p in listed["data"]] == [pid]  # newest run first; the source follows on the next page
    assert_reproduced(EXAMPLES["ProcessesListResult"], listed, "ProcessesListResult")
    assert_reproduced(EXAMPLES["ProcessSummary"], listed["data"][0], "ProcessSummary")
    assert_reproduced(EXAMPLES["ProcessRunSummary"], listed["data"][0]["run"], "ProcessRunSummary")
    assert listed["data"][0]["sourceProcessRun"] == source_run["id"] and listed["data"][0]["run"]["process"] == pid


async def test_validation_and_error_examples_are_reproduced(http: httpx.AsyncClient) -> None:
    """A job lacking a required argument gives the example's MISSING_REQUIRED_FIELD with the job as target
    and `meta` {field, jobId} (the example's missing field, `action`, cannot be missing here: every job has
    one); a refused request answers the Error shape with the example's fields, details included."""
    made = await create(http, {**EXAMPLES["Process"], "businessStartDate": "2024-01-01",
                               "businessEndDate": "2026-12-31", "root": {**EXAMPLES["ProcessGroup"], "children": [
                                   {"type": "job", "job": EXAMPLES["ProcessJob"]}]}})
    job_id = made["root"]["children"][0]["job"]["id"]
    results = (await http.post(f"/v1/processes/{made['id']}/validation")).json()
    assert set(results) == set(EXAMPLES["ProcessValidationResults"])
    (want,) = EXAMPLES["ProcessValidationResults"]["errors"]
    (got,) = results["errors"]
    assert_reproduced({k: v for k, v in want.items() if k not in ("meta", "target")}, got, "errors[0]")
    assert got["target"] == got["meta"]["jobId"] == job_id and got["meta"] == {"jobId": job_id, "field": "assignee"}
    assert set(want["meta"]) == set(got["meta"])

    refused = await http.post("/v1/processes", json={**EXAMPLES["Process"], "name": " ", "autoClose": "yes"})
    error = refused.json()
    assert refused.status_code == 400 and set(error) == set(EXAMPLES["Error"])
    assert [set(d) for d in error["details"]] == [set(EXAMPLES["ErrorDetail"]) | {"meta"}] * 2
    assert [d["target"] for d in error["details"]] == ["name", "autoClose"]
