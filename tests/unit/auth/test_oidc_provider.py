"""The local OpenID provider in process, on a controlled clock: code and form lifetimes."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from dogcare.local.gateway import GatewayResponse
from dogcare.local.oidc import MAX_CODE_SECONDS, PENDING_SECONDS, OidcProvider, code_seconds, s256

API = "http://127.0.0.1:3999"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def provider(tmp_path: Path, clock: Clock) -> OidcProvider:
    return OidcProvider(tmp_path, API, clock=clock)


def _get(provider: OidcProvider, path: str, params: dict[str, str], cookie: str = "") -> GatewayResponse:
    response = provider.handle("GET", f"{path}?{urlencode(params)}", {"Cookie": cookie}, b"")
    assert response is not None
    return response


def _post(provider: OidcProvider, path: str, form: dict[str, str], cookie: str = "") -> GatewayResponse:
    response = provider.handle("POST", path, {**FORM, "Cookie": cookie}, urlencode(form).encode())
    assert response is not None
    return response


def _start(provider: OidcProvider, verifier: str) -> tuple[dict[str, str], str]:
    params = {
        "client_id": "dogcare-web",
        "redirect_uri": f"{API}/app/callback",
        "response_type": "code",
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    page = _get(provider, "/oidc/authorize", params)
    assert page.status == 200
    text = page.body.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', text))
    cookie = page.headers["Set-Cookie"].split(";")[0]
    return {**fields, "username": "ana"}, cookie


def _code(provider: OidcProvider, verifier: str) -> str:
    form, cookie = _start(provider, verifier)
    response = _post(provider, "/oidc/authorize", form, cookie)
    assert response.status == 303
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def _redeem(provider: OidcProvider, code: str, verifier: str) -> GatewayResponse:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"{API}/app/callback",
        "client_id": "dogcare-web",
        "code_verifier": verifier,
    }
    return _post(provider, "/oidc/token", form)


def test_a_code_is_good_until_sixty_seconds_and_not_after(provider: OidcProvider, clock: Clock) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(provider, verifier)
    clock.now += MAX_CODE_SECONDS - 0.5
    assert _redeem(provider, code, verifier).status == 200
    late = _code(provider, verifier)
    clock.now += MAX_CODE_SECONDS
    expired = _redeem(provider, late, verifier)
    assert (expired.status, json.loads(expired.body)["error"]) == (400, "invalid_grant")


def test_a_sign_in_form_expires(provider: OidcProvider, clock: Clock) -> None:
    form, cookie = _start(provider, secrets.token_urlsafe(48))
    clock.now += PENDING_SECONDS + 1
    assert _post(provider, "/oidc/authorize", form, cookie).status == 400


def test_the_code_lifetime_can_only_be_shortened(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in (("1", 1), ("600", MAX_CODE_SECONDS), ("0", 1), ("x", MAX_CODE_SECONDS)):
        monkeypatch.setenv("DOGCARE_OIDC_CODE_SECONDS", value)
        assert code_seconds() == expected


def test_only_oidc_paths_are_answered(provider: OidcProvider) -> None:
    assert provider.handle("GET", "/owners/profile", {}, b"") is None
    assert provider.handle("GET", "/oidcx/authorize", {}, b"") is None
    unknown = provider.handle("GET", "/oidc/nothing", {}, b"")
    assert unknown is not None and unknown.status == 404
    wrong_method = provider.handle("GET", "/oidc/token", {}, b"")
    assert wrong_method is not None and (wrong_method.status, wrong_method.headers["Allow"]) == (405, "POST")


def test_pkce_s256_is_rfc_7636s_example() -> None:
    # RFC 7636 appendix B.
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
