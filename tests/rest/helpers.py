"""Helpers of the REST tests: seed-shaped bodies and a client over the ASGI app."""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.settings import DEV_USER_ID

PATCH = {"content-type": "application/json-patch+json"}


def job(title: str, assignee: str | None = DEV_USER_ID, **extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"title": title}
    if assignee is not None:
        args["assignee"] = assignee
    return {"type": "job", "job": {"arguments": {"type": "sendTask", "sendTaskArgs": args}, **extra}}


def group(name: str, *children: dict[str, Any], parallel: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": "group", "group": {"name": name, "parallel": parallel, "readOnly": False,
                                       "children": list(children), **extra}}


def process_body(name: str = "Q4 close", *children: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "autoClose": False, "certAutoApprove": False, "relativeDates": False,
            "root": {"name": "Main", "parallel": False, "readOnly": False,
                     "children": list(children) or [job("Review ledger")]}, **extra}


async def create(http: httpx.AsyncClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await http.post("/v1/processes", json=body or process_body())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def patch(http: httpx.AsyncClient, process_id: str, operations: list[dict[str, Any]],
                **headers: str) -> httpx.Response:
    return await http.patch(f"/v1/processes/{process_id}", content=json.dumps(operations),
                            headers={**PATCH, **headers})


def assert_error(response: httpx.Response, status: int, code: str, target: str | None = None) -> dict[str, Any]:
    """The seed's Error shape, exactly its six fields, with this status, code and target."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = dict(response.json())
    assert set(body) == {"code", "message", "target", "details", "meta", "documentationUrl"}, body
    assert body["code"] == code, body
    if target is not None:
        assert body["target"] == target, body
    return body
