"""`dogcare serve` serves the web app: the built files at /app/ with history routing and cache
headers, a generated /app/config.json, no way out of the dist folder, a clear 503 when the app
is not built; and the browser's payment path (the local Stripe called directly with the
publishable key) confirms a booking exactly as Stripe's webhook does."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import Server, start_server

INDEX = b"<!doctype html><title>dogcare</title><div id=root></div><script src=/app/assets/index-4f2a9c1b.js></script>"
SCRIPT = b"console.log('dogcare');"
SECRET = b"outside the dist folder"
VACCINATIONS = [{"name": n, "expires_on": "2099-01-01"} for n in ("rabies", "dhpp", "bordetella")]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    (root / "secret.txt").write_bytes(SECRET)
    folder = root / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_bytes(INDEX)
    (folder / "silent-renew.html").write_bytes(b"<!doctype html><title>renew</title>")
    (folder / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (folder / "assets" / "index-4f2a9c1b.js").write_bytes(SCRIPT)
    (folder / "assets" / "index-77aa01.css").write_bytes(b"body{margin:0}")
    (folder / "link.txt").symlink_to(root / "secret.txt")
    return folder


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("web-home"),
        DOGCARE_WEB_DIST=str(dist),
        DOGCARE_RATE_LIMIT_PER_MINUTE="100000",
        DOGCARE_TIMEZONE="America/Chicago",
    )
    yield srv
    srv.stop()


def get(server: Server, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(f"{server.url}{path}", timeout=10, allow_redirects=False, **kwargs)


def raw_get(server: Server, path: str) -> tuple[int, bytes]:
    """A request line sent exactly as written (no client-side normalisation of ``..``)."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_root_redirects_to_the_app(app_server: Server) -> None:
    root = get(app_server, "/")
    assert root.status_code == 302
    assert root.headers["Location"] == "/app/"
    assert get(app_server, "/app").headers["Location"] == "/app/"


@pytest.mark.parametrize("path", ["/app/", "/app/index.html", "/app/bookings/booking-123", "/app/callback?code=x"])
def test_app_paths_answer_index_html_uncached(app_server: Server, path: str) -> None:
    page = get(app_server, path)
    assert page.status_code == 200
    assert page.content == INDEX
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_files_are_served_with_their_type_and_hashed_assets_cached_long(app_server: Server) -> None:
    script = get(app_server, "/app/assets/index-4f2a9c1b.js")
    assert script.status_code == 200
    assert script.content == SCRIPT
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    css = get(app_server, "/app/assets/index-77aa01.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    icon = get(app_server, "/app/favicon.svg")
    assert (icon.headers["Content-Type"], icon.headers["Cache-Control"]) == ("image/svg+xml", "no-cache")
    renew = get(app_server, "/app/silent-renew.html")
    assert renew.content.startswith(b"<!doctype html><title>renew")
    head = requests.head(f"{app_server.url}/app/assets/index-4f2a9c1b.js", timeout=10)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(SCRIPT))


def test_a_missing_asset_is_404_not_the_page(app_server: Server) -> None:
    missing = get(app_server, "/app/assets/index-00000000.js")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/app/../secret.txt",
        "/app/assets/../../secret.txt",
        "/app/%2e%2e/secret.txt",
        "/app/%2E%2E%2Fsecret.txt",
        "/app/..%2fsecret.txt",
        "/app/assets/%2e%2e/%2e%2e/secret.txt",
        "/app//etc/passwd",
        "/app/%2fetc%2fpasswd",
        "/app/..%5csecret.txt",
        "/app/link.txt",
        "/app/secret.txt%00.js",
    ],
)
def test_nothing_outside_the_dist_folder_is_served(app_server: Server, path: str) -> None:
    status, body = raw_get(app_server, path)
    assert status == 404, (path, status, body[:200])
    assert SECRET not in body
    assert b"root:" not in body


def test_config_json_describes_this_server(app_server: Server) -> None:
    response = get(app_server, "/app/config.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-cache"
    config = response.json()
    url = app_server.url
    assert config == {
        "apiBaseUrl": url,
        "oidc": {
            "authority": f"{url}/oidc",
            "clientId": "dogcare-web",
            "redirectPath": "/app/callback",
            "silentRedirectPath": "/app/silent-renew.html",
            "postLogoutPath": "/app/",
            "scope": "openid email profile",
        },
        "payments": {
            "mode": "local",
            "publishableKey": config["payments"]["publishableKey"],
            "stripeApiBase": app_server.state["stripe_api_base"],
        },
        "facilityTimezone": "America/Chicago",
        "currency": "USD",
    }
    assert config["payments"]["publishableKey"].startswith("pk_test_")
    # written with the other local keys, for the CLI and other tools
    import json

    keys = json.loads((app_server.home / "stripe.json").read_text(encoding="utf-8"))
    assert keys["publishable_key"] == config["payments"]["publishableKey"]
    assert keys["secret_key"].startswith("sk_test_")
    assert keys["secret_key"] not in response.text  # the secret key never reaches the browser


def test_the_browser_pays_with_the_local_stripe_and_the_booking_confirms(app_server: Server) -> None:
    config = get(app_server, "/app/config.json").json()
    api, stripe_base, pk = (
        config["apiBaseUrl"],
        config["payments"]["stripeApiBase"],
        config["payments"]["publishableKey"],
    )
    headers = app_server.headers("web-payer")
    assert (
        requests.post(
            f"{api}/owners/register",
            json={"name": "Web"},
            headers={**headers, "X-Id-Token": app_server.id_token("web-payer", "web@example.com")},
            timeout=10,
        ).status_code
        == 201
    )
    dog = requests.post(
        f"{api}/dogs", json={"name": "Rex", "size": "large", "vaccinations": VACCINATIONS}, headers=headers, timeout=10
    ).json()
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    day = (datetime.now(ZoneInfo("America/Chicago")) + timedelta(days=3)).date()
    start = datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("America/Chicago")).astimezone(UTC)
    body = {
        "dog_id": dog["id"],
        "service_type": "daycare",
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(hours=8)).isoformat(),
    }
    quoted = requests.post(f"{api}/bookings/quote", json=body, headers=headers, timeout=10)
    assert quoted.status_code == 200, quoted.text
    booking = requests.post(f"{api}/bookings", json=body, headers=headers, timeout=10).json()
    assert booking["price"] == quoted.json()["price"]
    payment = requests.post(f"{api}/payments", json={"booking_id": booking["id"]}, headers=headers, timeout=10).json()
    intent, client_secret = payment["provider_reference"], payment["client_secret"]

    browser = {"Authorization": f"Bearer {pk}", "Origin": app_server.url}
    card = {"type": "card", "card[exp_month]": "12", "card[exp_year]": "2040", "card[cvc]": "123"}
    declined_card = requests.post(
        f"{stripe_base}/v1/payment_methods",
        data={**card, "card[number]": "4000000000000002"},
        headers=browser,
        timeout=10,
    )
    assert declined_card.headers["Access-Control-Allow-Origin"] == app_server.url
    declined = requests.post(
        f"{stripe_base}/v1/payment_intents/{intent}/confirm",
        data={"payment_method": declined_card.json()["id"], "client_secret": client_secret},
        headers=browser,
        timeout=10,
    )
    assert declined.status_code == 402
    assert declined.json()["error"]["decline_code"] == "generic_decline"
    failed = requests.get(f"{api}/payments/{payment['id']}", headers=headers, timeout=10).json()
    assert failed["status"] == "failed"
    assert "card_declined" in failed["failure_reason"]
    still = requests.get(f"{api}/bookings/{booking['id']}", headers=headers, timeout=10).json()
    assert still["status"] == "pending"

    good = requests.post(
        f"{stripe_base}/v1/payment_methods",
        data={**card, "card[number]": "4242424242424242"},
        headers=browser,
        timeout=10,
    ).json()
    paid = requests.post(
        f"{stripe_base}/v1/payment_intents/{intent}/confirm",
        data={"payment_method": good["id"], "client_secret": client_secret},
        headers=browser,
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"
    # The local Stripe delivers payment_intent.succeeded to the API before answering.
    confirmed = requests.get(f"{api}/bookings/{booking['id']}", headers=headers, timeout=10).json()
    assert confirmed["status"] == "confirmed"
    assert requests.get(f"{api}/payments/{payment['id']}", headers=headers, timeout=10).json()["status"] == "succeeded"


def test_without_a_build_the_app_answers_a_clear_503(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("unbuilt-home")
    srv = start_server(home, DOGCARE_WEB_DIST=str(home / "no-such-dist"))
    try:
        for path in ("/app/", "/app/bookings", "/app/assets/index.js"):
            page = get(srv, path)
            assert page.status_code == 503, path
            assert page.headers["Content-Type"] == "text/html; charset=utf-8"
            assert b"make web" in page.content
        assert get(srv, "/").status_code == 302
        assert get(srv, "/app/config.json").status_code == 200  # the config does not need the build
        assert get(srv, "/docs/openapi.json").status_code == 200
    finally:
        srv.stop()
