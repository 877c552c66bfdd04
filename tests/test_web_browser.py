"""The reference web client (web/, served by scripts/web) in headless Chromium against a real gateway on
another origin (issue 14 point 7).

A gateway process (SQLite, trusting a local OpenID Connect test provider) and `scripts/web` (Vite's
preview server on another loopback port, its build made once per CI run and reused while web/ is
unchanged) are started and always stopped. Two browser contexts sign in by pasting a bearer token: the
manager with an API token (the demo token), the assignee with an OIDC access token signed by the test
keys. The manager finds the process through search and paging, reads its tree with people's names and
starts a run; the assignee submits from the inbox; the manager's run view and inbox update without a
reload (graphql-transport-ws), the manager returns the work with a comment, it comes back to the
assignee's inbox, is submitted again and approved, and the run completes. Every request, WebSocket
included, stays on 127.0.0.1; screenshots go to the test's folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, ROOT
from tests.factories import CREATE
from tests.oidc import OidcProvider
from tests.servers import Server, free_port, running_server, stop
from tests.test_graphiql_browser import CHROMIUM, CHROMIUM_ARGS

WEB_STARTUP_SECONDS = 120.0  # includes the build when web/ changed since the last one
FILLER = 12  # processes besides the one the test runs: more than one page of ten


def _post(server: Server, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=10.0) as http:
        body = http.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    return dict(body["data"])


def _create(server: Server, name: str, task: dict[str, Any]) -> str:
    created = _post(server, CREATE, {"input": {"name": name, "autoClose": True, "root": {
        "name": "Main", "children": [{"job": {"arguments": {"sendTask": task}}}]}}})["processCreate"]
    assert created["errors"] == [], created
    return str(created["process"]["id"])


def _create_user(database_url: str, name: str, email: str) -> str:
    made = subprocess.run([sys.executable, "-m", "app.auth.cli", "create-user", "--workspace", DEFAULT_WORKSPACE_ID,
                           "--name", name, "--email", email], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DATABASE_URL": database_url})
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


@contextmanager
def web_server(tmp_path: Path, gateway: str, port: int) -> Iterator[str]:
    """scripts/web on loopback `port` against `gateway`; yields the page's origin."""
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(ROOT / "scripts" / "web")], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, env={**os.environ, "GATEWAY": gateway,
                                                                  "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port)})
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WEB_STARTUP_SECONDS
        with httpx.Client(base_url=origin, timeout=2.0) as http:
            while True:
                if process.poll() is not None:
                    pytest.fail(f"scripts/web exited with {process.returncode}:\n{log.read_text(errors='replace')}")
                try:
                    if http.get("/config.json").json() == {"gateway": gateway}:
                        break
                except (httpx.TransportError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"scripts/web did not serve within {WEB_STARTUP_SECONDS}s:\n{log.read_text()}")
                time.sleep(0.3)
        yield origin
    finally:
        stop(process)


def _watch(context: BrowserContext, requested: list[str], problems: list[str]) -> None:
    context.on("request", lambda r: requested.append(r.url))
    context.on("page", lambda page: _watch_page(page, requested, problems))


def _watch_page(page: Page, requested: list[str], problems: list[str]) -> None:
    page.on("websocket", lambda ws: requested.append(ws.url))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)


def _sign_in(context: BrowserContext, origin: str, token: str, name: str) -> Page:
    page = context.new_page()
    page.goto(origin)
    page.get_by_label("Bearer token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("viewer")).to_contain_text(name, timeout=15_000)
    # Set once per page load: still there after every live update, so the page was never reloaded.
    page.evaluate("window.loadedOnce = true")
    return page


def _not_reloaded(page: Page) -> None:
    assert page.evaluate("window.loadedOnce === true"), "the page was reloaded"


def _job_row(page: Page, job_run_id: str) -> Any:
    return page.locator(f"tr[data-job-run-id='{job_run_id}']")


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(300)
def test_web_client_from_another_origin_updates_live(backend: str, tmp_path: Path,
                                                     oidc_provider: OidcProvider) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    # The page's origin is on a free port (not 5173, which someone may be using), allowed by CORS_ORIGINS.
    web_port = free_port()
    with running_server(tmp_path, name="gateway", database_url=database_url, RATE_LIMIT_PER_SECOND="0",
                        CORS_ORIGINS=f"http://127.0.0.1:{web_port}",
                        **oidc_provider.env(workspace=DEFAULT_WORKSPACE_ID)) as server:
        ann = _create_user(database_url, "Ann Assignee", "ann@example.com")
        manager = _post(server, "query { viewer { user { id name } } }", {})["viewer"]["user"]
        assert manager["id"] == DEV_USER_ID
        process_id = _create(server, "Quarterly close", {"title": "Review ledger", "assignee": ann,
                                                          "approver": DEV_USER_ID, "instructions": "Tick every line"})
        for n in range(FILLER):
            _create(server, f"Filler {n:02d}", {"title": f"Filler task {n:02d}", "assignee": DEV_USER_ID})
        ann_token = oidc_provider.token(sub="ann-oidc", email="ann@example.com", scope="openid read write")
        manager_token = server.headers["Authorization"].removeprefix("Bearer ")

        requested: list[str] = []
        problems: list[str] = []
        with web_server(tmp_path, server.base_url, web_port) as origin, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                managers = browser.new_context(viewport={"width": 1300, "height": 900})
                assignees = browser.new_context(viewport={"width": 1300, "height": 900})
                for context in (managers, assignees):
                    _watch(context, requested, problems)

                # The manager signs in with the API token: the process list, ten per page, then search
                runs = _sign_in(managers, origin, manager_token, manager["name"])
                info = runs.get_by_test_id("page-info")
                expect(info).to_have_text(f"Showing 1 to 10 of {FILLER + 1}", timeout=15_000)
                runs.get_by_role("button", name="Next").click()
                expect(info).to_have_text(f"Showing 11 to {FILLER + 1} of {FILLER + 1}")
                runs.get_by_role("button", name="Previous").click()
                expect(info).to_have_text(f"Showing 1 to 10 of {FILLER + 1}")
                runs.get_by_label("Search").fill("quarterly")
                runs.get_by_role("button", name="Search").click()
                expect(info).to_have_text("Showing 1 to 1 of 1")
                runs.get_by_role("link", name="Quarterly close").click()

                # The tree names the people; the manager starts a run and watches it
                tree = runs.get_by_test_id("process-tree")
                expect(tree).to_contain_text(f"assignee: Ann Assignee · approver: {manager['name']}")
                runs.screenshot(path=str(tmp_path / "web-process.png"))
                runs.get_by_role("button", name="Start a run").click()
                expect(runs.get_by_test_id("run-status")).to_have_text("running", timeout=15_000)
                run_id = runs.url.rsplit("/", 1)[1]
                assert run_id and run_id != process_id
                task = runs.get_by_test_id("run-tree").locator("li.JobRun")
                expect(task).to_contain_text("sent · assignee: Ann Assignee")

                # The manager's inbox (approver) is empty; the assignee signs in with an OIDC token
                inbox = _sign_in(managers, origin, manager_token, manager["name"])
                inbox.goto(f"{origin}/#/inbox")
                expect(inbox.get_by_test_id("live")).to_contain_text("Live")
                expect(inbox.locator("tbody")).to_contain_text("Nothing waits for you.")
                work = _sign_in(assignees, origin, ann_token, "Ann Assignee")
                work.goto(f"{origin}/#/inbox")
                row = work.locator("tbody tr", has_text="Review ledger")
                expect(row).to_contain_text("Quarterly close")
                expect(row.get_by_test_id("action-status")).to_have_text("sent")
                expect(row).to_contain_text("Tick every line")
                job_run_id = str(row.get_attribute("data-job-run-id"))
                work.screenshot(path=str(tmp_path / "web-inbox-assignee.png"))

                # The assignee submits: it leaves their inbox, enters the approver's, the run view follows
                row.get_by_label("Comment").fill("Ledger reviewed")
                row.get_by_role("button", name="Submit").click()
                expect(_job_row(work, job_run_id)).to_have_count(0, timeout=15_000)
                waiting = _job_row(inbox, job_run_id)
                expect(waiting.get_by_test_id("action-status")).to_have_text("approval", timeout=15_000)
                expect(waiting).to_contain_text("Ledger reviewed")
                expect(task).to_contain_text("approval · assignee: Ann Assignee", timeout=15_000)
                events = runs.get_by_test_id("events")
                expect(events).to_contain_text("Review ledger: actionStatus waiting → sent")
                expect(events).to_contain_text("Review ledger: actionStatus sent → approval by Ann Assignee “Ledger reviewed”")
                inbox.screenshot(path=str(tmp_path / "web-inbox-approver.png"))
                runs.screenshot(path=str(tmp_path / "web-run-approval.png"))

                # Returned with a comment, it comes back to the assignee; resubmitted and approved, the run completes
                waiting.get_by_role("button", name="Return").click()  # without a comment the gateway refuses
                expect(waiting.locator(".error")).to_contain_text("VALIDATION_ERROR")
                waiting.get_by_label("Comment").fill("Add the totals")
                waiting.get_by_role("button", name="Return").click()
                expect(_job_row(inbox, job_run_id)).to_have_count(0, timeout=15_000)
                back = _job_row(work, job_run_id)
                expect(back.get_by_test_id("action-status")).to_have_text("returned", timeout=15_000)
                expect(back).to_contain_text("“Add the totals”")
                back.get_by_role("button", name="Submit").click()
                again = _job_row(inbox, job_run_id)
                again.get_by_role("button", name="Approve").click(timeout=15_000)
                expect(runs.get_by_test_id("run-status")).to_have_text("complete", timeout=15_000)
                expect(task).to_contain_text("complete")
                expect(inbox.locator("tbody")).to_contain_text("Nothing waits for you.")
                runs.screenshot(path=str(tmp_path / "web-run-complete.png"))
                for page in (runs, inbox, work):
                    _not_reloaded(page)
                print(f"web client screenshots in {tmp_path}")
            finally:
                browser.close()

    assert problems == [], problems
    sockets = [url for url in requested if url.startswith("ws://")]
    assert sockets and {urlsplit(url).netloc for url in sockets} == {urlsplit(server.base_url).netloc}, sockets
    assert {urlsplit(url).netloc for url in requested} == {urlsplit(origin).netloc, urlsplit(server.base_url).netloc}
    assert {urlsplit(url).hostname for url in requested} == {"127.0.0.1"}, requested

