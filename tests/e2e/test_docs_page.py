"""The docs page of `dogcare serve` in headless Chromium: every operation of the OpenAPI document
is rendered, and the page loads nothing from outside this machine."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_SCHEMES = ("data", "blob", "about")


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.fail(
        "headless Chromium is required for the docs-page test and was not found: install Debian's package "
        "(`sudo apt-get install chromium`, or `make browser`) and run the tests again",
        pytrace=False,
    )


def test_the_docs_page_shows_every_operation_and_stays_local(server: Server) -> None:
    from playwright.sync_api import Route, sync_playwright

    spec = requests.get(f"{server.url}/docs/openapi.json", timeout=15).json()
    documented = {(method.upper(), path) for path, operations in spec["paths"].items() for method in operations}
    assert documented

    requested: list[str] = []
    outside: list[str] = []
    page_errors: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or urlsplit(url).scheme in LOCAL_SCHEMES:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.route("**/*", only_local)
            response = page.goto(f"{server.url}/docs", wait_until="load", timeout=30_000)
            assert response is not None
            assert response.status == 200
            page.wait_for_selector(".opblock .opblock-summary-path", timeout=30_000)
            page.wait_for_function(
                "n => document.querySelectorAll('.opblock').length >= n", arg=len(documented), timeout=30_000
            )
            shown = page.eval_on_selector_all(
                ".opblock",
                """blocks => blocks.map(b => [
                    b.querySelector('.opblock-summary-method').textContent.trim(),
                    b.querySelector('.opblock-summary-path').getAttribute('data-path'),
                ])""",
            )
            title = page.title()
        finally:
            browser.close()

    assert {(method.upper(), path) for method, path in shown} == documented
    assert len(shown) == len(documented)
    assert title == "dogcare API"
    assert f"{server.url}/docs/assets/swagger-ui-bundle.min.js" in requested
    assert outside == []
    assert all(urlsplit(u).hostname == "127.0.0.1" or urlsplit(u).scheme in LOCAL_SCHEMES for u in requested)
    assert page_errors == []


def test_the_docs_page_links_to_its_document(server: Server) -> None:
    """Swagger UI shows ``/docs?format=json`` as the document's address: it must be the document."""
    linked = requests.get(f"{server.url}/docs?format=json", timeout=15)
    assert linked.status_code == 200
    assert linked.headers["Content-Type"].startswith("application/json")
    assert linked.json() == requests.get(f"{server.url}/docs/openapi.json", timeout=15).json()
