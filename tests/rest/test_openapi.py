"""The REST door's OpenAPI 3.1 document is an artifact (issue 17, point 3): committed and current, served
at /v1/openapi.json without a token, generated from the request models, everything described."""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.main import create_app
from app.rest import models as m
from app.rest.openapi import document, text
from app.rest.routes import OPERATIONS
from app.settings import ROOT, Settings


def test_committed_openapi_json_is_current() -> None:
    committed = (ROOT / "openapi.json").read_text()
    assert committed == text(), "openapi.json is stale: run scripts/export-schema and commit it"


async def test_served_without_a_token(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://test") as http:
        response = await http.get("/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(text())


def _walk(node: Any, path: str, out: list[str]) -> None:
    if isinstance(node, dict):
        for name, schema in (node.get("properties") or {}).items():
            if "description" not in schema:
                out.append(f"{path}.{name}")
        for key, value in node.items():
            _walk(value, f"{path}.{key}" if key != "properties" else path, out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(value, f"{path}[{i}]", out)


def test_every_schema_property_parameter_and_operation_is_described() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    missing = [name for name, schema in doc["components"]["schemas"].items() if not schema.get("description")]
    _walk(doc["components"]["schemas"], "schemas", missing)
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            missing += [f"{method} {path} {p['name']}" for p in op["parameters"] if not p.get("description")]
            missing += [f"{method} {path}"] if not op.get("description") else []
            missing += [f"{method} {path} {s}" for s, r in op["responses"].items() if not r.get("description")]
    assert missing == []


def test_every_operation_is_documented_with_its_statuses() -> None:
    paths = document()["paths"]
    assert {(op.method.lower(), f"/v1{op.path}") for op in OPERATIONS} == {
        (method, path) for path, methods in paths.items() for method in methods}
    for methods in paths.values():
        for op in methods.values():
            assert {"401", "403", "413", "429", "503"} <= set(op["responses"])
    patch = paths["/v1/processes/{id}"]["patch"]
    assert set(patch["requestBody"]["content"]) == {"application/json-patch+json"}
    assert {"400", "404", "409", "412"} <= set(patch["responses"])
    assert patch["responses"]["200"]["headers"]["ETag"]["required"] is True


def test_the_seed_restrictions_are_json_schema_keywords() -> None:
    schemas = document()["components"]["schemas"]
    process = schemas["ProcessInput"]
    assert set(process["required"]) == {"name", "autoClose", "certAutoApprove", "relativeDates", "root"}
    assert process["properties"]["id"] == {"description": process["properties"]["id"]["description"],
                                           "readOnly": True, "type": "string", "minLength": 1, "maxLength": 32}
    assert process["properties"]["calendars"]["uniqueItems"] is True
    assert process["properties"]["name"]["maxLength"] == 1000 and process["properties"]["name"]["pattern"]
    assert schemas["BatchUpdate"]["properties"]["data"]["maxItems"] == 3000
    assert schemas["JobNameUpdate"]["properties"]["id"]["minLength"] == 1
    assert schemas["ReminderData"]["properties"]["reminders"]["maxItems"] == 3
    assert schemas["ProcessGroupInput"]["required"] == ["name", "parallel", "readOnly"]
    assert schemas["ProcessRunSummary"]["properties"]["status"]["enum"] == [
        "waiting", "running", "cancelling", "complete", "cancelled", "error", "errorHold"]
    assert schemas["PatchRemove"]["properties"]["path"]["enum"][0] == "/dueDate"
    assert set(schemas["ProcessJSONPatchDocument"]) >= {"type", "items", "maxItems"}


def test_the_document_comes_from_the_request_models() -> None:
    """The request body schemas are the models' own JSON Schemas (pydantic), titles aside."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("title", "$defs") and v is not None}
        return [strip(v) for v in node] if isinstance(node, list) else node

    own = m.JobNameUpdate.model_json_schema()
    assert strip(own) == strip(document()["components"]["schemas"]["JobNameUpdate"])
