"""GraphiQL in headless Chromium against a real server, with nothing from another host (issue 8 point 1,
issue 14 point 8).

Debian's /usr/bin/chromium (scripts/ensure-chromium installs it), driven by Playwright's Python package;
no browser is downloaded. The page runs a query with the prefilled demo token and with a typed header,
opens the documentation, builds a query by clicking fields in the explorer and runs it, follows a run's events over WebSocket, and every request stays on the server.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from app.settings import DEV_USER_ID
from tests.factories import CREATE
from tests.run.helpers import START
from tests.servers import Server, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWER = "query Who { viewer { user { id name } scopes } }"
EVENTS = "subscription Follow($id: ID!) { runEvents(runId: $id, afterSequence: 0) { sequence nodeKind field toValue } }"
SUBMIT = "mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code message } run { id status } } }"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
VARIABLES_EDITOR = "section.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESPONSE = ".graphiql-response .CodeMirror"


def _post(http: httpx.Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


def _started_run(server: Server) -> tuple[str, str]:
    """A run of a one-task process assigned to the demo user: (run id, the task's job run id)."""
    task = {"job": {"arguments": {"sendTask": {"title": "Review ledger", "assignee": DEV_USER_ID}}}}
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=10.0) as http:
        created = _post(http, CREATE, {"input": {"name": "Browser", "root": {"name": "Main", "children": [task]}}})
        assert created["processCreate"]["errors"] == [], created
        started = _post(http, START, {"id": created["processCreate"]["process"]["id"]})["runStart"]
        assert started["errors"] == [], started
    (job,) = [n for n in started["run"]["nodes"] if n["__typename"] == "JobRun"]
    return str(started["run"]["id"]), str(job["id"])


def _type_into(page: Page, editor: str, text: str) -> None:
    """Replace an editor's text the way a person does: click, select all, type (inserted, so the
    editor's bracket completion does not add to it)."""
    page.locator(editor).first.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    if text:
        page.keyboard.insert_text(text)
    # GraphiQL reparses the document (and so the operation name it sends) a moment after an edit.
    page.wait_for_timeout(500)


def _editor_text(page: Page, editor: str) -> str:
    return str(page.evaluate("(sel) => document.querySelector(sel).CodeMirror.getValue()", editor))


def _response_text(page: Page) -> str:
    return _editor_text(page, RESPONSE)


def _wait_for_response(page: Page, done: Callable[[dict[str, Any]], bool], seconds: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = _response_text(page)
        try:
            shown = json.loads(text)
        except ValueError:
            shown = None
        if isinstance(shown, dict) and done(shown):
            return shown
        page.wait_for_timeout(100)
    raise AssertionError(f"the result pane never showed what was expected; it shows:\n{text}")


def _headers_editor(page: Page) -> str:
    page.locator("button[data-name='headers']").click()
    return VARIABLES_EDITOR  # the visible one of the two tool editors is now the headers editor


def _run(page: Page) -> None:
    page.locator(".graphiql-execute-button").click()


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(240)
def test_graphiql_runs_queries_docs_and_subscriptions_with_no_other_host(backend: str, tmp_path: Path) -> None:
    with running_server(tmp_path, name="graphiql", database_url=f"sqlite+aiosqlite:///{tmp_path / 'graphiql.db'}",
                        RATE_LIMIT_PER_SECOND="0") as server:
        run_id, job_run_id = _started_run(server)
        origin = urlsplit(server.base_url).netloc
        requested: list[str] = []
        problems: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.on("request", lambda r: requested.append(r.url))
                page = context.new_page()
                page.on("websocket", lambda ws: requested.append(ws.url))
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                        if m.type == "error" else None)

                # Given the page of a server in development mode on loopback
                page.goto(f"{server.base_url}/graphql")
                page.locator(".graphiql-execute-button").wait_for(timeout=30_000)

                # When a query runs with the prefilled header, then the result pane shows the demo user
                _type_into(page, QUERY_EDITOR, VIEWER)
                _run(page)
                shown = _wait_for_response(page, lambda r: "data" in r or "errors" in r)
                assert "errors" not in shown, shown
                assert shown["data"]["viewer"]["user"]["id"] == DEV_USER_ID and shown["data"]["viewer"]["scopes"] == [
                    "READ", "WRITE"], shown

                # The documentation pane lists the Query type's fields
                page.locator("button[aria-label='Show Documentation Explorer']").click()
                page.locator("a.graphiql-doc-explorer-type-name", has_text=re.compile("^Query$")).first.click()
                fields = page.locator(".graphiql-doc-explorer-field-name")
                fields.filter(has_text="processValidation").first.wait_for(timeout=10_000)
                assert {"process", "processes", "processRun", "viewer"} <= set(fields.all_inner_texts())

                # The explorer builds a query from clicked fields (on an empty editor), and it runs
                _type_into(page, QUERY_EDITOR, "")
                page.locator("button[aria-label='Show GraphiQL Explorer']").click()
                explorer = page.locator(".graphiql-explorer-root")
                for field in ("viewer", "user", "name"):
                    explorer.locator(f"[data-field-name='{field}']").first.click()
                built = _editor_text(page, QUERY_EDITOR)
                assert re.search(r"viewer\s*{\s*user\s*{[^}]*\bname\b", built), built
                _run(page)
                explored = _wait_for_response(page, lambda r: "data" in r or "errors" in r)
                assert explored["data"]["viewer"]["user"]["name"], explored
                page.screenshot(path=str(tmp_path / "graphiql-explorer.png"))

                # A subscription replays the run's events over WebSocket, then shows a live one
                _type_into(page, QUERY_EDITOR, EVENTS)
                page.locator("button[data-name='variables']").click()
                _type_into(page, VARIABLES_EDITOR, json.dumps({"id": run_id}))
                _run(page)
                replayed = _wait_for_response(page, lambda r: "runEvents" in (r.get("data") or {}))
                last = replayed["data"]["runEvents"]["sequence"]
                with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=10.0) as http:
                    submitted = _post(http, SUBMIT, {"id": job_run_id})["jobRunSubmit"]
                assert submitted["errors"] == [], submitted
                live = _wait_for_response(page, lambda r: (r.get("data") or {}).get("runEvents", {}).get(
                    "sequence", 0) > last)
                assert live["data"]["runEvents"]["nodeKind"] in {"job", "group", "run"}, live
                page.screenshot(path=str(tmp_path / "graphiql-subscription.png"))
                _run(page)  # the same button stops the subscription

                # With the headers editor emptied the gateway refuses; a typed header works again
                _type_into(page, QUERY_EDITOR, VIEWER)
                _type_into(page, _headers_editor(page), "")
                _run(page)
                refused = _wait_for_response(page, lambda r: "errors" in r)
                assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused
                _type_into(page, _headers_editor(page), json.dumps(server.headers))
                _run(page)
                again = _wait_for_response(page, lambda r: "data" in r and r["data"] is not None)
                assert again["data"]["viewer"]["user"]["id"] == DEV_USER_ID, again

                page.screenshot(path=str(tmp_path / "graphiql.png"))
                print(f"GraphiQL screenshots: {tmp_path / 'graphiql.png'}, {tmp_path / 'graphiql-subscription.png'}")
            finally:
                browser.close()

    # The browser logs the one refusal the test asked for; nothing else may go wrong (a CSP violation would).
    refusal = "console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    assert [p for p in problems if p != refusal] == [] and problems.count(refusal) == 1, problems
    assert any(url.startswith("ws://") for url in requested), requested  # the subscription's socket
    elsewhere = [url for url in requested if urlsplit(url).netloc != origin]
    assert requested and elsewhere == [], elsewhere
