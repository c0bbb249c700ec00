"""The local OpenID provider of `dogcare serve`, over HTTP: the whole authorization code flow
with PKCE, every way it must refuse, and its tokens through the real authorizer path."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from dogcare.local.oidc import s256
from tests.e2e.conftest import Server, start_server

TIMEOUT = 30
CLIENT = "dogcare-web"


@dataclass
class Flow:
    """One authorization request: its parameters and the PKCE verifier behind them."""

    server: Server
    verifier: str
    params: dict[str, str]

    @property
    def redirect_uri(self) -> str:
        return self.params["redirect_uri"]


def new_flow(server: Server, **changes: str | None) -> Flow:
    verifier = secrets.token_urlsafe(48)
    params: dict[str, str | None] = {
        "client_id": CLIENT,
        "redirect_uri": f"{server.url}/app/callback",
        "response_type": "code",
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        **changes,
    }
    return Flow(server, verifier, {k: v for k, v in params.items() if v is not None})


def hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert found, page
    return found.group(1)


def authorize(session: requests.Session, flow: Flow) -> requests.Response:
    return session.get(f"{flow.server.url}/oidc/authorize", params=flow.params, allow_redirects=False, timeout=TIMEOUT)


def sign_in(
    session: requests.Session, flow: Flow, user: str, email: str = "", staff: bool = False
) -> requests.Response:
    page = authorize(session, flow)
    assert page.status_code == 200, page.text
    form = {"request": hidden(page.text, "request"), "csrf": hidden(page.text, "csrf"), "username": user}
    form["email"] = email
    if staff:
        form["staff"] = "on"
    return session.post(f"{flow.server.url}/oidc/authorize", data=form, allow_redirects=False, timeout=TIMEOUT)


def redirected(response: requests.Response) -> tuple[str, dict[str, str]]:
    assert response.status_code in (302, 303), (response.status_code, response.text)
    location = urlsplit(response.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    return f"{location.scheme}://{location.netloc}{location.path}", params


def code_for(flow: Flow, user: str, **kwargs: Any) -> str:
    target, params = redirected(sign_in(requests.Session(), flow, user, **kwargs))
    assert target == flow.redirect_uri
    assert params["state"] == flow.params["state"]
    return params["code"]


def redeem(flow: Flow, issued: str, **changes: str | None) -> requests.Response:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": issued,
        "redirect_uri": flow.redirect_uri,
        "client_id": CLIENT,
        "code_verifier": flow.verifier,
        **changes,
    }
    data = {k: v for k, v in form.items() if v is not None}
    return requests.post(f"{flow.server.url}/oidc/token", data=data, timeout=TIMEOUT)


def token_error(response: requests.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str) and body["error_description"]


def error_page(response: requests.Response, status: int) -> str:
    """An error shown by the provider itself: no redirect anywhere."""
    assert response.status_code == status, response.text
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


def user() -> str:
    return f"oidc-{uuid.uuid4().hex[:10]}"


# --- discovery and keys --------------------------------------------------------------------------


def test_discovery_names_the_issuer_and_its_endpoints(server: Server) -> None:
    response = requests.get(f"{server.url}/oidc/.well-known/openid-configuration", timeout=TIMEOUT)
    assert response.status_code == 200
    doc = response.json()
    issuer = f"{server.url}/oidc"
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/authorize"
    assert doc["token_endpoint"] == f"{issuer}/token"
    assert doc["jwks_uri"] == f"{issuer}/jwks.json"
    assert doc["end_session_endpoint"] == f"{issuer}/logout"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["scopes_supported"]) == {"openid", "email", "profile"}
    keys = requests.get(doc["jwks_uri"], timeout=TIMEOUT).json()
    assert [k["kid"] for k in keys["keys"]] == [k["kid"] for k in _jwks_file(server.home)["keys"]]
    assert all("d" not in k for k in keys["keys"])  # public keys only


def _jwks_file(home: Path) -> dict[str, Any]:
    import json

    return dict(json.loads((home / "dev-issuer" / "jwks.json").read_text()))


# --- the flow, and its tokens on the API -----------------------------------------------------------


def test_the_code_flow_gives_tokens_the_api_accepts(server: Server) -> None:
    sub = user()
    flow = new_flow(server)
    code = code_for(flow, sub, email=f"{sub}@Example.com")
    response = redeem(flow, code)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    issuer = f"{server.url}/oidc"

    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["aud"], claims["token_use"]) == (issuer, sub, CLIENT, "id")
    assert (claims["email"], claims["email_verified"], claims["nonce"]) == (
        f"{sub}@Example.com",
        True,
        flow.params["nonce"],
    )
    assert abs(claims["auth_time"] - time.time()) < 120
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (access["iss"], access["client_id"], access["token_use"]) == (issuer, CLIENT, "access")
    assert access["cognito:groups"] == []

    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    registered = requests.post(
        f"{server.url}/owners/register",
        json={"name": "Flow Owner"},
        headers={**auth, "X-Id-Token": tokens["id_token"]},
        timeout=TIMEOUT,
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["email"] == f"{sub}@Example.com"
    assert requests.get(f"{server.url}/owners/profile", headers=auth, timeout=TIMEOUT).status_code == 200
    staff_only = requests.get(f"{server.url}/admin/owners", headers=auth, timeout=TIMEOUT)
    assert staff_only.status_code == 403, staff_only.text


def test_staff_sign_in_gets_the_admin_group_and_the_staff_routes(server: Server) -> None:
    flow = new_flow(server)
    tokens = redeem(flow, code_for(flow, user(), staff=True)).json()
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert access["cognito:groups"] == ["admin"]
    response = requests.get(
        f"{server.url}/admin/owners", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text


def test_the_email_defaults_to_the_user_name_at_example_com(server: Server) -> None:
    sub = user()
    flow = new_flow(server)
    tokens = redeem(flow, code_for(flow, sub)).json()
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["email"] == f"{sub}@example.com"


def test_the_silent_renew_uri_is_registered_and_prompt_none_needs_a_sign_in(server: Server) -> None:
    browser = requests.Session()
    silent = new_flow(server, redirect_uri=f"{server.url}/app/silent-renew.html", prompt="none")
    target, params = redirected(authorize(browser, silent))
    assert (target, params["error"], params["state"]) == (silent.redirect_uri, "login_required", silent.params["state"])
    sub = user()
    signed_in = new_flow(server)
    redirected(sign_in(browser, signed_in, sub))
    again = new_flow(server, redirect_uri=f"{server.url}/app/silent-renew.html", prompt="none")
    target, params = redirected(authorize(browser, again))
    assert target == again.redirect_uri and params["state"] == again.params["state"]
    tokens = redeem(again, params["code"]).json()
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"] == sub


# --- the token endpoint refuses -------------------------------------------------------------------


def test_a_wrong_verifier_is_refused_and_spends_the_code(server: Server) -> None:
    flow = new_flow(server)
    code = code_for(flow, user())
    token_error(redeem(flow, code, code_verifier=secrets.token_urlsafe(48)), 400, "invalid_grant")
    token_error(redeem(flow, code), 400, "invalid_grant")


def test_a_code_works_once(server: Server) -> None:
    flow = new_flow(server)
    code = code_for(flow, user())
    assert redeem(flow, code).status_code == 200
    token_error(redeem(flow, code), 400, "invalid_grant")


def test_the_redirect_uri_and_client_must_match_the_authorization(server: Server) -> None:
    flow = new_flow(server)
    token_error(
        redeem(flow, code_for(flow, user()), redirect_uri=f"{server.url}/app/silent-renew.html"), 400, "invalid_grant"
    )
    token_error(redeem(flow, code_for(flow, user()), redirect_uri=None), 400, "invalid_grant")
    token_error(redeem(flow, code_for(flow, user()), client_id="someone-else"), 401, "invalid_client")
    token_error(redeem(flow, code_for(flow, user()), client_id=None), 401, "invalid_client")


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "unsupported_grant_type"),
        ({"code_verifier": None}, 400, "invalid_request"),
        ({"code_verifier": "short"}, 400, "invalid_request"),
        ({"code": None}, 400, "invalid_request"),
        ({"code": "made-up"}, 400, "invalid_grant"),
    ],
)
def test_malformed_token_requests_are_rfc_6749_errors(
    server: Server, changes: dict[str, str | None], status: int, error: str
) -> None:
    flow = new_flow(server)
    token_error(redeem(flow, code_for(flow, user()), **changes), status, error)


def test_the_token_endpoint_wants_a_form(server: Server) -> None:
    response = requests.post(f"{server.url}/oidc/token", json={"grant_type": "authorization_code"}, timeout=TIMEOUT)
    token_error(response, 400, "invalid_request")


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose codes live one second, to see one expire."""
    srv = start_server(tmp_path_factory.mktemp("oidc-quick"), DOGCARE_OIDC_CODE_SECONDS="1")
    yield srv
    srv.stop()


def test_an_expired_code_is_refused(quick_server: Server) -> None:
    flow = new_flow(quick_server)
    code = code_for(flow, user())
    time.sleep(1.5)
    token_error(redeem(flow, code), 400, "invalid_grant")
    fresh = new_flow(quick_server)
    assert redeem(fresh, code_for(fresh, user())).status_code == 200  # in time, it works


# --- the authorization endpoint refuses --------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/app/callback",
        "{url}/app/callback/",
        "{url}/app/callback?next=https://evil.example",
        "{url}/app/../app/callback",
        "{url}/app/CALLBACK",
        "http://localhost:1/app/callback",
        "",
    ],
)
def test_an_unregistered_redirect_uri_is_never_redirected_to(server: Server, redirect_uri: str) -> None:
    flow = new_flow(server, redirect_uri=redirect_uri.format(url=server.url) or None)
    page = error_page(authorize(requests.Session(), flow), 400)
    assert "redirect_uri" in page
    assert "evil.example" not in page


@pytest.mark.parametrize("client_id", ["someone-else", "", None, "<script>alert(1)</script>"])
def test_an_unknown_client_is_refused_on_the_page(server: Server, client_id: str | None) -> None:
    page = error_page(authorize(requests.Session(), new_flow(server, client_id=client_id)), 400)
    assert "unknown client_id" in page
    assert "<script>" not in page


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": "email"}, "invalid_scope"),
        ({"scope": "openid admin"}, "invalid_scope"),
    ],
)
def test_bad_authorization_requests_go_back_as_errors_with_the_state(
    server: Server, changes: dict[str, str | None], error: str
) -> None:
    flow = new_flow(server, **changes)
    target, params = redirected(authorize(requests.Session(), flow))
    assert target == flow.redirect_uri
    assert params["error"] == error
    assert params["state"] == flow.params["state"]
    assert "code" not in params


@pytest.mark.parametrize("state", [None, "", "with space", "x" * 513])
def test_a_missing_or_unusable_state_is_refused(server: Server, state: str | None) -> None:
    flow = new_flow(server, state=state)
    target, params = redirected(authorize(requests.Session(), flow))
    assert target == flow.redirect_uri
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_a_repeated_parameter_is_refused(server: Server) -> None:
    flow = new_flow(server)
    query = "&".join(f"{k}={v}" for k, v in flow.params.items()) + f"&redirect_uri={server.url}/app/silent-renew.html"
    response = requests.get(f"{server.url}/oidc/authorize?{query}", allow_redirects=False, timeout=TIMEOUT)
    error_page(response, 400)


# --- the sign-in form ------------------------------------------------------------------------------


def test_the_sign_in_page_is_labelled_escaped_and_unframeable(server: Server) -> None:
    page = authorize(requests.Session(), new_flow(server, state="<b>x</b>", nonce='"><script>x</script>'))
    assert page.status_code == 200
    text = page.text
    assert '<html lang="en">' in text and "<title>Sign in to dogcare</title>" in text and "<main>" in text
    assert '<label for="username">User name</label>' in text and 'id="username"' in text
    assert '<label for="email">Email</label>' in text and 'id="email" name="email" type="email"' in text
    assert '<label for="staff">Staff</label>' in text and 'id="staff" name="staff" type="checkbox"' in text
    assert '<button type="submit">Sign in</button>' in text
    assert "<script" not in text and "<b>x</b>" not in text  # state and nonce are never echoed
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none': no script
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/oidc" in cookie


def _form_of(session: requests.Session, server: Server) -> dict[str, str]:
    page = authorize(session, new_flow(server))
    return {"request": hidden(page.text, "request"), "csrf": hidden(page.text, "csrf"), "username": user()}


def _post(session: requests.Session, server: Server, form: dict[str, str]) -> requests.Response:
    return session.post(f"{server.url}/oidc/authorize", data=form, allow_redirects=False, timeout=TIMEOUT)


def test_a_form_posted_without_the_pages_cookie_is_refused(server: Server) -> None:
    form = _form_of(requests.Session(), server)
    error_page(_post(requests.Session(), server, form), 403)  # another browser: no cookie


def test_a_form_with_another_csrf_token_is_refused(server: Server) -> None:
    browser = requests.Session()
    form = _form_of(browser, server)
    error_page(_post(browser, server, {**form, "csrf": secrets.token_urlsafe(32)}), 403)


def test_a_sign_in_request_is_used_once(server: Server) -> None:
    browser = requests.Session()
    form = _form_of(browser, server)
    redirected(_post(browser, server, form))
    error_page(_post(browser, server, form), 400)
    error_page(_post(browser, server, {**form, "request": "made-up"}), 400)


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", ""), ("username", "has space"), ("username", "<script>"), ("email", "not-an-email")],
)
def test_bad_form_values_show_the_form_again_with_the_error(server: Server, field: str, value: str) -> None:
    browser = requests.Session()
    form = _form_of(browser, server)
    response = _post(browser, server, {**form, field: value})
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert 'role="alert"' in response.text
    assert "<script>" not in response.text
    # ...and the form shown again works.
    retry = {**form, "request": hidden(response.text, "request"), "username": user(), "email": ""}
    redirected(_post(browser, server, retry))


# --- logout ------------------------------------------------------------------------------------------


def test_logout_redirects_only_to_a_registered_uri(server: Server) -> None:
    target, params = redirected(
        requests.get(
            f"{server.url}/oidc/logout",
            params={"client_id": CLIENT, "post_logout_redirect_uri": f"{server.url}/app/", "state": "s-1"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
    )
    assert (target, params["state"]) == (f"{server.url}/app/", "s-1")
    for uri in ("https://evil.example/", f"{server.url}/app/callback", f"{server.url}/app"):
        response = requests.get(
            f"{server.url}/oidc/logout", params={"post_logout_redirect_uri": uri}, allow_redirects=False, timeout=30
        )
        error_page(response, 400)
    plain = requests.get(f"{server.url}/oidc/logout", allow_redirects=False, timeout=TIMEOUT)
    assert plain.status_code == 200 and "signed out" in plain.text


def test_logout_ends_the_sign_in_for_silent_renewal(server: Server) -> None:
    browser = requests.Session()
    redirected(sign_in(browser, new_flow(server), user()))
    browser.get(
        f"{server.url}/oidc/logout",
        params={"post_logout_redirect_uri": f"{server.url}/app/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    silent = new_flow(server, prompt="none")
    _, params = redirected(authorize(browser, silent))
    assert params["error"] == "login_required"


# --- in a real browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_browser_signs_in_through_the_labelled_form(server: Server) -> None:
    """Headless Chromium finds every field by its label and the button by its name, submits the
    form (the page's CSP and cookie rules allow exactly that) and lands on the callback."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_docs_page import CHROMIUM_ARGS, chromium_path

    flow = new_flow(server)
    sub = user()
    query = requests.Request("GET", f"{server.url}/oidc/authorize", params=flow.params).prepare().url
    assert query is not None
    landed: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("request", lambda request: landed.append(request.url))
            response = page.goto(query, wait_until="load", timeout=30_000)
            assert response is not None and response.status == 200
            assert page.title() == "Sign in to dogcare"
            page.get_by_label("User name").fill(sub)
            page.get_by_label("Email").fill(f"{sub}@example.org")
            page.get_by_label("Staff").check()
            with page.expect_navigation(timeout=30_000):
                page.get_by_role("button", name="Sign in").click()
        finally:
            browser.close()
    # The callback is the app's page: with the app built, its own assets load after it.
    target, params = _split(next(url for url in landed if url.startswith(flow.redirect_uri)))
    assert target == flow.redirect_uri and params["state"] == flow.params["state"]
    tokens = redeem(flow, params["code"]).json()
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["email"], claims["cognito:groups"]) == (sub, f"{sub}@example.org", ["admin"])


def _split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in parse_qs(parts.query).items()}
