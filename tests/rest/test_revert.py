"""Diff and revert through the REST door (issue 33 point 2): GET /v1/processes/{id}/diff?from=&to= and
POST /v1/processes/{id}/revert, with If-Match, against the same services as GraphQL."""

from __future__ import annotations

from typing import Any

import httpx

from app.process.history import apply
from tests.rest.helpers import assert_error, create, group, job, patch, process_body


def _doc(body: dict[str, Any]) -> dict[str, Any]:
    """What a revert restores, from a REST read: the process fields and each node's place and fields."""
    nodes: dict[str, Any] = {}

    def walk(node: dict[str, Any], parent: str | None, ordinal: int) -> None:
        inner = node.get("group") or node.get("job") or node
        kind = "job" if "job" in node else "group"
        nodes[inner["id"]] = {"kind": kind, "parent": parent, "ordinal": ordinal,
                              **{k: v for k, v in inner.items() if k not in ("children", "revision", "created",
                                                                             "modified", "id", "ordinal", "tags",
                                                                             "parent", "parentId", "generated")}}
        for i, child in enumerate(inner.get("children", [])):
            walk(child, inner["id"], i)
    walk(body["root"], None, 0)
    fields = {k: v for k, v in body.items() if k not in ("root", "revision", "created", "modified")}
    return {"fields": fields, "nodes": nodes}


async def _diff(http: httpx.AsyncClient, pid: str, low: Any, high: Any) -> httpx.Response:
    return await http.get(f"/v1/processes/{pid}/diff", params={"from": low, "to": high})


async def test_diff_and_revert(http: httpx.AsyncClient) -> None:
    made = await create(http, process_body("Alpha", job("One"), group("G", job("Two"))))
    pid = made["id"]
    states = [_doc(made)]
    g_id = made["root"]["children"][1]["group"]["id"]
    for operations in ([{"op": "replace", "path": "/name", "value": "Beta"}],
                       [{"op": "replace", "path": "/dueDate", "value": "2026-05-01"}]):
        assert (await patch(http, pid, operations)).status_code == 200
    renamed = await http.post(f"/v1/processes/{pid}/batchUpdates", json={"data": [
        {"id": g_id, "newName": "G2", "type": "groupName"}]})
    assert renamed.status_code == 200
    states.append(_doc(renamed.json()))

    diff = await _diff(http, pid, 1, 4)
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert (body["fromRevision"], body["toRevision"]) == (1, 4)
    assert body["nodesRenamed"] == [{"id": g_id, "kind": "group", "fromName": "G", "toName": "G2"}]
    assert {f["field"]: (f["fromValue"], f["toValue"]) for f in body["processFieldsChanged"]} == {
        "name": ("Alpha", "Beta"), "dueDate": (None, "2026-05-01")}
    assert body["nodesAdded"] == body["nodesRemoved"] == body["nodesMoved"] == body["nodesChanged"] == []
    back = (await _diff(http, pid, 4, 1)).json()
    fields = {"name": "Beta", "dueDate": "2026-05-01"}
    assert apply(fields, [o for o in back["operations"] if o["path"] in ("/name", "/dueDate")]) == {
        "name": "Alpha", "dueDate": None}

    stale = await http.post(f"/v1/processes/{pid}/revert", json={"toRevision": 1}, headers={"If-Match": '"3"'})
    assert assert_error(stale, 412, "CONFLICT", "If-Match")["meta"]["currentRevision"] == "4"
    reverted = await http.post(f"/v1/processes/{pid}/revert", json={"toRevision": 1}, headers={"If-Match": '"4"'})
    assert reverted.status_code == 200, reverted.text
    assert reverted.headers["etag"] == '"5"' and reverted.json()["revision"] == 5
    assert _doc(reverted.json()) == states[0]
    again = await http.post(f"/v1/processes/{pid}/revert", json={"toRevision": 4})
    assert again.status_code == 200 and _doc(again.json()) == states[1] and again.json()["revision"] == 6
    read = await http.get(f"/v1/processes/{pid}")
    assert _doc(read.json()) == states[1]


async def test_bad_revisions_and_bodies(http: httpx.AsyncClient) -> None:
    pid = (await create(http))["id"]
    assert_error(await http.get(f"/v1/processes/{pid}/diff?to=1"), 400, "VALIDATION_ERROR", "from")
    assert_error(await _diff(http, pid, "x", 1), 400, "VALIDATION_ERROR", "from")
    body = assert_error(await _diff(http, pid, 1, 2), 400, "VALIDATION_ERROR", "to")
    assert body["meta"] == {"min": "1", "max": "1", "actual": "2"}
    assert "from 1 to its current revision 1" in body["message"]
    assert_error(await http.get(f"/v1/processes/{pid}/diff?from=1&to=1&since=1"), 400, "VALIDATION_ERROR", "since")
    assert_error(await _diff(http, pid[::-1], 1, 1), 404, "NOT_FOUND", "id")
    assert_error(await http.post(f"/v1/processes/{pid}/revert", json={"toRevision": 2}), 400, "VALIDATION_ERROR",
                 "toRevision")
    assert_error(await http.post(f"/v1/processes/{pid}/revert", json={"toRevision": 0}), 400, "VALIDATION_ERROR",
                 "toRevision")
    assert_error(await http.post(f"/v1/processes/{pid}/revert", json={}), 400, "REQUIRED")
    assert_error(await http.post(f"/v1/processes/{pid[::-1]}/revert", json={"toRevision": 1}), 404, "NOT_FOUND", "id")
    assert (await http.get(f"/v1/processes/{pid}")).headers["etag"] == '"1"'
