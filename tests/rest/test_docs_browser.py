"""The REST door's Swagger UI in headless Chromium against a real server, with nothing from another host.

Debian's /usr/bin/chromium driven by Playwright (as tests/test_graphiql_browser.py): the page lists every
operation of the document, and "Try it out" on the process list, with the prefilled demo token, answers
200 with the process the test made; every request the page opened went to the server itself.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import sync_playwright

from app.rest.routes import OPERATIONS
from tests.servers import running_server
from tests.test_graphiql_browser import CHROMIUM, CHROMIUM_ARGS


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(180)
def test_swagger_ui_lists_and_tries_operations_with_no_other_host(backend: str, db_url: str, tmp_path: Path) -> None:
    with running_server(tmp_path, name="docs", database_url=db_url) as server:
        with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=10.0) as http:
            made = http.post("/v1/processes", json={
                "name": "Seen in Swagger UI", "autoClose": False, "certAutoApprove": False, "relativeDates": False,
                "root": {"name": "Root", "parallel": False, "readOnly": False}})
            assert made.status_code == 201, made.text
        requested: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context()
                context.on("request", lambda r: requested.append(r.url))
                page = context.new_page()
                problems: list[str] = []
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.goto(f"{server.base_url}/v1/docs")
                page.wait_for_selector(".opblock", timeout=30_000)
                assert page.locator(".opblock").count() == len(OPERATIONS)
                listing = page.locator("#operations-processes-listProcesses")
                listing.locator(".opblock-summary").click()
                # tryItOutEnabled: the operation opens ready to execute, with the demo token authorized
                listing.locator("button.execute").click()
                status = listing.locator(".live-responses-table tr.response .response-col_status").first
                status.wait_for(timeout=30_000)
                assert status.inner_text().strip().startswith("200")
                assert "Seen in Swagger UI" in listing.locator(".live-responses-table").inner_text()
                page.screenshot(path=str(tmp_path / "swagger-ui.png"), full_page=False)
                assert problems == []
                print(f"Swagger UI screenshot: {tmp_path / 'swagger-ui.png'}")
            finally:
                browser.close()
        host = urlsplit(server.base_url).netloc
        others = [url for url in requested if urlsplit(url).netloc != host and not url.startswith("data:")]
        assert others == [] and any(url.endswith("/v1/openapi.json") for url in requested)
