"""Automatic persisted queries and trusted documents (issue 8 point 3)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx

from app.graphql.persisted import sha256
from app.main import create_app
from app.settings import Settings

QUERY = "query Count { processes { totalCount } }"


def apq(digest: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_apq_round_trip_and_cacheable_get(http: httpx.AsyncClient) -> None:
    digest = sha256(QUERY)
    first = (await http.post("/graphql", json={"extensions": apq(digest)})).json()
    assert first["errors"][0]["message"] == "PersistedQueryNotFound"
    assert first["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = (await http.post("/graphql", json={"query": QUERY, "extensions": apq(digest)})).json()
    assert registered["data"] == {"processes": {"totalCount": 0}}
    by_hash = (await http.post("/graphql", json={"extensions": apq(digest)})).json()
    assert by_hash["data"] == {"processes": {"totalCount": 0}}
    got = await http.get("/graphql", params={"extensions": json.dumps(apq(digest)), "operationName": "Count"})
    assert got.status_code == 200, got.text
    assert got.json()["data"] == {"processes": {"totalCount": 0}}
    wrong = (await http.post("/graphql", json={"query": QUERY, "extensions": apq("0" * 64)})).json()
    assert wrong["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_trusted_documents_mode_refuses_everything_else(settings: Settings, token: str,
                                                              tmp_path: Path) -> None:
    allow = tmp_path / "trusted.json"
    allow.write_text(json.dumps({"Count": QUERY}))
    app = create_app(replace(settings, trusted_documents_file=str(allow)))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Authorization": f"Bearer {token}"}) as http:
        assert (await http.post("/graphql", json={"query": QUERY})).json()["data"] == {"processes": {"totalCount": 0}}
        by_hash = (await http.post("/graphql", json={"extensions": apq(sha256(QUERY))})).json()
        assert by_hash["data"] == {"processes": {"totalCount": 0}}
        other = (await http.post("/graphql", json={"query": "{ viewer { user { id } } }"})).json()
        assert other["data"] is None and other["errors"][0]["extensions"]["code"] == "DOCUMENT_NOT_ALLOWED"
        unknown = (await http.post("/graphql", json={"extensions": apq("f" * 64)})).json()
        assert unknown["errors"][0]["extensions"]["code"] == "DOCUMENT_NOT_ALLOWED"
