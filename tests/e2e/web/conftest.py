"""The client app in headless Chromium against `dogcare serve`: helpers shared by its tests.

Everything a test does goes through the app's screens (and the identity provider's sign-in
page). Every page visited is checked with axe-core, every request the browser makes must stay
on this machine, and the main screens are photographed at phone and desktop widths for
docs/web.md."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import ROOT, Server, start_server
from tests.e2e.test_docs_page import CHROMIUM_ARGS, chromium_path

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
DIST = ROOT / "web" / "dist" / "index.html"
SHOTS = ROOT / "docs" / "screenshots"
WIDTHS = (375, 1280)
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = ("data", "blob", "about")
# axe impacts that fail a page (moderate and minor ones are reported, not failed).
FAILING = {"serious", "critical"}


@dataclass
class Visit:
    """One signed-in person in their own browser context."""

    page: Any
    server: Server
    outside: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(f"{self.server.url}{path}", wait_until="load")

    def route(self, path: str) -> None:
        """Go to an address inside the app as a followed link would (no reload, session kept)."""
        self.page.evaluate(
            "path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }", path
        )

    def nav(self, name: str) -> None:
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()

    def heading(self, text: str | re.Pattern[str]) -> None:
        try:
            self.page.get_by_role("heading", level=1, name=text).wait_for()
        except Exception as error:  # say what the screen showed instead
            shown = self.page.locator("body").inner_text()
            raise AssertionError(
                f"expected a page headed {text!r} at {self.page.url}, the screen shows:\n{shown}"
            ) from error

    def axe(self, label: str) -> None:
        """No serious or critical accessibility violation on what is shown now."""
        self.page.wait_for_function("() => !document.querySelector('.loading')", timeout=15_000)
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v.get("impact") in FAILING
        ]
        assert bad == [], f"axe on {label}: {bad}"
        self.checked.append(label)

    def shot(self, name: str) -> None:
        """Screenshots at phone and desktop width; neither may scroll sideways."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 860})
            self.page.wait_for_timeout(50)
            overflow = self.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            self.page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 860})

    def sign_in(self, user: str, email: str, *, staff: bool = False) -> None:
        self.go("/app/")
        self.page.get_by_role("banner").get_by_role("button", name="Sign in").click()
        # The identity provider's own page.
        self.page.get_by_label("User name").fill(user)
        self.page.get_by_label("Email").fill(email)
        if staff:
            self.page.get_by_label("Staff").check()
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("button", name="Sign out").wait_for(timeout=20_000)
        assert urlsplit(self.page.url).path.startswith("/app/")

    def bearer(self) -> str:
        """The access token the app sent last (read off the wire, for checking the API directly)."""
        for header in reversed(self.authorizations):
            if header.startswith("Bearer "):
                return header
        raise AssertionError("the app sent no bearer token")

    def finish(self) -> None:
        assert self.outside == [], f"requests left the machine: {self.outside}"
        assert self.errors == [], f"errors in the page: {self.errors}"


# Not UTC, and with daylight saving: times the app sent in the browser's or UTC's wall clock
# would fall outside opening hours and be refused, and every time shown is checked in this zone.
FACILITY_TIMEZONE = "America/Chicago"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app's own `dogcare serve`, in the facility's time zone (it serves web/dist at /app/)."""
    srv = start_server(
        tmp_path_factory.mktemp("web-app-home"),
        DOGCARE_RATE_LIMIT_PER_MINUTE="100000",
        DOGCARE_TIMEZONE=FACILITY_TIMEZONE,
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not DIST.exists() or not AXE.exists():
        pytest.fail("the client app is not built: run `make web` (npm ci, then the build)", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def visit(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh browser context per person: visit() -> Visit."""
    opened: list[tuple[Any, Visit]] = []

    def open_visit() -> Visit:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 860}, locale="en-US")
        context.set_default_timeout(15_000)
        page = context.new_page()
        v = Visit(page=page, server=server)

        def only_local(route: Any) -> None:
            url = route.request.url
            parts = urlsplit(url)
            v.seen.append(url)
            if parts.hostname in LOCAL_HOSTS or parts.scheme in LOCAL_SCHEMES:
                route.continue_()
            else:
                v.outside.append(url)
                route.abort()

        context.route("**/*", only_local)
        page.on("pageerror", lambda error: v.errors.append(str(error)))
        page.on("request", lambda request: v.authorizations.append(request.headers.get("authorization", "")))
        page.on("dialog", lambda dialog: dialog.accept())
        opened.append((context, v))
        return v

    yield open_visit
    for context, v in opened:
        context.close()
        v.finish()


def app_config(server: Server) -> dict[str, Any]:
    response = requests.get(f"{server.url}/app/config.json", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def facility_day(server: Server, days_ahead: int) -> str:
    tz = ZoneInfo(app_config(server)["facilityTimezone"])
    return (dt.datetime.now(tz).date() + dt.timedelta(days=days_ahead)).isoformat()
