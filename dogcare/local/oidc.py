"""A minimal OpenID Connect provider for local mode, served by ``dogcare serve`` at ``{api_url}/oidc``.

It stands in for the Cognito hosted UI so the web app can run its real sign-in code
(authorization code flow with PKCE) on one machine. It signs with the development issuer's
key (``dogcare.auth.dev_issuer``), and its tokens have Cognito's claim shapes, so the
authorizer and the owner routes verify them exactly as they verify Cognito's.

Endpoints (all under ``/oidc``): discovery (``/.well-known/openid-configuration``), the key
set (``/jwks.json``), ``/authorize`` (a small sign-in form: user name, email, staff),
``/token`` (``authorization_code`` only) and ``/logout``.

What it enforces, because a development tool that teaches sloppy clients is worse than none:

* one registered public client (``dogcare-web``) with exact-match redirect URIs; an unknown
  client or unregistered redirect URI gets an error page, never a redirect (no open redirect);
* ``response_type=code``, ``scope`` with ``openid``, ``state``, ``nonce`` and PKCE ``S256``
  are required; other errors go back to the registered redirect URI as RFC 6749 errors;
* the form is bound to the pending request (a single-use id) and to a double-submit cookie
  (``SameSite=Strict``), so another site cannot post it in the user's browser;
* codes are random, single use, valid for at most 60 seconds, and only for the same client,
  redirect URI and PKCE verifier;
* every page is HTML-escaped, framed by nobody, cached by nobody, and runs no script.

Why not a library for the protocol: Authlib's authorization server needs a web framework
adapter (Flask, Django, Starlette) that the local gateway (the standard library's HTTP
server) does not have, and the protocol parts that remain are small and exact: PKCE S256
is one SHA-256 compared in constant time. Signing uses PyJWT, like the rest of the project.
This module is local-only: no handler imports it, and the Lambda build leaves it out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from dogcare.auth.dev_issuer import DEV_CLIENT_ID, OIDC_PATH, DevIssuer, issuer_for
from dogcare.local.gateway import GatewayResponse

MAX_CODE_SECONDS = 60
PENDING_SECONDS = 600
SESSION_SECONDS = 8 * 3600
TOKEN_SECONDS = 3600
MAX_ENTRIES = 10_000
MAX_FORM_BYTES = 16 * 1024
SCOPES = ("openid", "email", "profile")
CSRF_COOKIE = "dogcare_oidc_csrf"
SESSION_COOKIE = "dogcare_oidc_session"

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 section 4.1
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url(SHA-256) without padding
_USER = re.compile(r"[A-Za-z0-9._@+-]{1,64}")  # becomes `sub`: printable, no spaces
_PARAM = re.compile(r"[\x21-\x7e]{1,512}")  # state and nonce: visible ASCII, bounded

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
HTML_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def code_seconds() -> int:
    """How long a code is valid: 60 s, or less with ``DOGCARE_OIDC_CODE_SECONDS`` (tests)."""
    try:
        value = int(os.environ.get("DOGCARE_OIDC_CODE_SECONDS", MAX_CODE_SECONDS))
    except ValueError:
        value = MAX_CODE_SECONDS
    return max(1, min(value, MAX_CODE_SECONDS))


def s256(verifier: str) -> str:
    """The PKCE ``S256`` challenge of ``verifier`` (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Client:
    client_id: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]


@dataclass
class Pending:
    """An authorization request waiting for the sign-in form."""

    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    csrf: str
    expires: float


@dataclass
class Grant:
    """What a code stands for, until it is redeemed once."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    sub: str
    email: str
    staff: bool
    auth_time: int
    expires: float


@dataclass
class SignIn:
    sub: str
    email: str
    staff: bool
    auth_time: int
    expires: float


@dataclass
class _Store:
    """Short-lived entries by random key, thread-safe and bounded (expired ones go first)."""

    entries: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, value: Any, now: float) -> str:
        key = secrets.token_urlsafe(32)
        with self.lock:
            if len(self.entries) >= MAX_ENTRIES:
                for old in [k for k, v in self.entries.items() if v.expires <= now]:
                    del self.entries[old]
                while len(self.entries) >= MAX_ENTRIES:
                    del self.entries[next(iter(self.entries))]
            self.entries[key] = value
        return key

    def get(self, key: str) -> Any:
        with self.lock:
            return self.entries.get(key)

    def take(self, key: str) -> Any:
        """Remove and return the entry: whatever happens next, it cannot be used again."""
        with self.lock:
            return self.entries.pop(key, None)

    def drop(self, key: str) -> None:
        with self.lock:
            self.entries.pop(key, None)


class AuthorizeError(Exception):
    """An RFC 6749 section 4.1.2.1 error, sent back to the (already validated) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class OidcProvider:
    """The local OpenID provider for ``api_url``; ``handle`` answers requests under ``/oidc``."""

    def __init__(self, home: Path, api_url: str, clock: Callable[[], float] = time.time) -> None:
        self.api_url = api_url.rstrip("/")
        self.issuer = issuer_for(self.api_url)
        self.keys = DevIssuer(home, issuer=self.issuer)
        self.clock = clock
        app = f"{self.api_url}/app"
        self.clients = {
            DEV_CLIENT_ID: Client(
                DEV_CLIENT_ID,
                redirect_uris=(f"{app}/callback", f"{app}/silent-renew.html"),
                post_logout_redirect_uris=(f"{app}/",),
            )
        }
        self._pending = _Store()
        self._codes = _Store()
        self._sessions = _Store()
        self.secure_cookies = self.api_url.startswith("https://")

    # --- routing -------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> GatewayResponse | None:
        """The answer to a request for ``/oidc/...``; ``None`` for any other path."""
        split = urlsplit(raw_path)
        if split.path != OIDC_PATH and not split.path.startswith(OIDC_PATH + "/"):
            return None
        route = split.path[len(OIDC_PATH) :]
        method = method.upper()
        query = _single_values(split.query)
        if isinstance(query, str):
            return self._error_page(400, query)
        get = method in ("GET", "HEAD")
        if route == "/.well-known/openid-configuration" and get:
            return _json(200, self.discovery())
        if route in ("/jwks.json", "/.well-known/jwks.json") and get:
            return _json(200, self.keys.jwks(), cache="max-age=300")
        if route == "/authorize" and get:
            return self.authorize(query, _cookies(headers))
        if route == "/authorize" and method == "POST":
            return self.sign_in(headers, body)
        if route == "/token" and method == "POST":
            return self.token(headers, body)
        if route == "/logout" and get:
            return self.logout(query)
        allowed = {"/authorize": "GET, POST", "/token": "POST"}.get(route, "GET")
        known = route in ("/.well-known/openid-configuration", "/jwks.json", "/.well-known/jwks.json", "/logout")
        if route in ("/authorize", "/token") or known:
            response = _json(405, {"error": "invalid_request", "error_description": f"use {allowed}"})
            response.headers["Allow"] = allowed
            return response
        return _json(404, {"error": "not_found", "error_description": "no such OpenID endpoint"})

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks.json",
            "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(SCOPES),
            "claims_supported": ["sub", "email", "email_verified", "nonce", "auth_time", "cognito:groups"],
        }

    # --- /authorize ----------------------------------------------------------------------

    def _client_and_redirect(self, params: Mapping[str, str]) -> tuple[Client, str] | str:
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            return "unknown client_id"
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:  # exact match, nothing else
            return "redirect_uri is not registered for this client"
        return client, redirect_uri

    def authorize(self, params: Mapping[str, str], cookies: Mapping[str, str]) -> GatewayResponse:
        found = self._client_and_redirect(params)
        if isinstance(found, str):
            # Without a trusted redirect URI, the error is shown here and never redirected.
            return self._error_page(400, found)
        client, redirect_uri = found
        state = params.get("state")
        try:
            pending = self._validate(client, redirect_uri, params)
        except AuthorizeError as exc:
            return _redirect(redirect_uri, {"error": exc.error, "error_description": exc.description, "state": state})
        now = self.clock()
        if params.get("prompt") == "none":
            # Silent renewal: only an existing sign-in of this browser can answer without a page.
            session = self._session(cookies, now)
            if session is None:
                return _redirect(redirect_uri, {"error": "login_required", "state": pending.state})
            return self._issue_code(pending, session.sub, session.email, session.staff, session.auth_time)
        request_id = self._pending.put(pending, now)
        headers = {"Set-Cookie": self._cookie(CSRF_COOKIE, pending.csrf, PENDING_SECONDS)}
        return GatewayResponse(200, {**HTML_HEADERS, **headers}, self._sign_in_page(request_id, pending.csrf))

    def _validate(self, client: Client, redirect_uri: str, params: Mapping[str, str]) -> Pending:
        if params.get("response_type") != "code":
            raise AuthorizeError("unsupported_response_type", "response_type must be code")
        if "openid" not in params.get("scope", "").split():
            raise AuthorizeError("invalid_scope", "scope must contain openid")
        unknown = set(params.get("scope", "").split()) - set(SCOPES)
        if unknown:
            raise AuthorizeError("invalid_scope", "unsupported scope")
        state, nonce = params.get("state", ""), params.get("nonce", "")
        if not _PARAM.fullmatch(state):
            raise AuthorizeError("invalid_request", "state is required")
        if not _PARAM.fullmatch(nonce):
            raise AuthorizeError("invalid_request", "nonce is required")
        if params.get("code_challenge_method") != "S256":
            raise AuthorizeError("invalid_request", "PKCE is required: code_challenge_method must be S256")
        challenge = params.get("code_challenge", "")
        if not _CHALLENGE.fullmatch(challenge):
            raise AuthorizeError("invalid_request", "PKCE is required: code_challenge must be an S256 challenge")
        return Pending(
            client.client_id,
            redirect_uri,
            state,
            nonce,
            challenge,
            csrf=secrets.token_urlsafe(32),
            expires=self.clock() + PENDING_SECONDS,
        )

    def sign_in(self, headers: Mapping[str, str], body: bytes) -> GatewayResponse:
        form = _form(headers, body)
        if isinstance(form, str):
            return self._error_page(400, form)
        now = self.clock()
        pending: Pending | None = self._pending.take(form.get("request", ""))
        cookie = _cookies(headers).get(CSRF_COOKIE, "")
        if pending is None or pending.expires <= now:
            return self._error_page(400, "this sign-in request is unknown or has expired: start again from the app")
        if not (cookie and hmac.compare_digest(cookie, pending.csrf)) or not hmac.compare_digest(
            form.get("csrf", ""), pending.csrf
        ):
            return self._error_page(403, "the sign-in form was not posted from this page")
        user = form.get("username", "").strip()
        if not _USER.fullmatch(user):
            # Show the form again for the same request (a new single-use id).
            pending.expires = now + PENDING_SECONDS
            request_id = self._pending.put(pending, now)
            page = self._sign_in_page(request_id, pending.csrf, error="User name: 1 to 64 letters, digits or . _ @ + -")
            return GatewayResponse(400, dict(HTML_HEADERS), page)
        email = form.get("email", "").strip() or f"{user}@example.com"
        if not _plausible_email(email):
            pending.expires = now + PENDING_SECONDS
            request_id = self._pending.put(pending, now)
            page = self._sign_in_page(request_id, pending.csrf, error="Email: not a valid address", user=user)
            return GatewayResponse(400, dict(HTML_HEADERS), page)
        staff = form.get("staff") == "on"
        auth_time = int(now)
        session = self._sessions.put(SignIn(user, email, staff, auth_time, now + SESSION_SECONDS), now)
        response = self._issue_code(pending, user, email, staff, auth_time)
        response.headers["Set-Cookie"] = self._cookie(SESSION_COOKIE, session, SESSION_SECONDS)
        return response

    def _issue_code(self, pending: Pending, sub: str, email: str, staff: bool, auth_time: int) -> GatewayResponse:
        now = self.clock()
        grant = Grant(
            pending.client_id,
            pending.redirect_uri,
            pending.code_challenge,
            pending.nonce,
            sub,
            email,
            staff,
            auth_time,
            expires=now + code_seconds(),
        )
        code = self._codes.put(grant, now)
        return _redirect(pending.redirect_uri, {"code": code, "state": pending.state}, status=303)

    def _session(self, cookies: Mapping[str, str], now: float) -> SignIn | None:
        session: SignIn | None = self._sessions.get(cookies.get(SESSION_COOKIE, ""))
        return session if session is not None and session.expires > now else None

    # --- /token --------------------------------------------------------------------------

    def token(self, headers: Mapping[str, str], body: bytes) -> GatewayResponse:
        form = _form(headers, body)
        if isinstance(form, str):
            return _token_error(400, "invalid_request", form)
        if form.get("grant_type") != "authorization_code":
            return _token_error(400, "unsupported_grant_type", "grant_type must be authorization_code")
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            return _token_error(401, "invalid_client", "unknown client_id")
        code = form.get("code", "")
        if not code:
            return _token_error(400, "invalid_request", "code is required")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.fullmatch(verifier):
            return _token_error(400, "invalid_request", "code_verifier is required (43 to 128 characters)")
        # Taken out first: a code is spent by its first redemption, successful or not.
        grant: Grant | None = self._codes.take(code)
        now = self.clock()
        if grant is None:
            return _token_error(400, "invalid_grant", "the code is unknown or was already used")
        if grant.expires <= now:
            return _token_error(400, "invalid_grant", "the code has expired")
        if grant.client_id != client.client_id:
            return _token_error(400, "invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri", "") != grant.redirect_uri:
            return _token_error(400, "invalid_grant", "redirect_uri does not match the authorization request")
        if not hmac.compare_digest(s256(verifier), grant.code_challenge):
            return _token_error(400, "invalid_grant", "code_verifier does not match the code_challenge")
        access = self.keys.mint(grant.sub, admin=grant.staff, expires_in=TOKEN_SECONDS)
        id_token = self.keys.mint_id_token(
            grant.sub,
            grant.email,
            nonce=grant.nonce,
            auth_time=grant.auth_time,
            admin=grant.staff,
            expires_in=TOKEN_SECONDS,
        )
        return _json(
            200,
            {"access_token": access, "id_token": id_token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS},
        )

    # --- /logout -------------------------------------------------------------------------

    def logout(self, params: Mapping[str, str]) -> GatewayResponse:
        target = params.get("post_logout_redirect_uri")
        client_id = params.get("client_id")
        clients = [self.clients[client_id]] if client_id in self.clients else list(self.clients.values())
        if client_id and client_id not in self.clients:
            return self._error_page(400, "unknown client_id")
        expired = {"Set-Cookie": self._cookie(SESSION_COOKIE, "", 0)}
        if target is None:
            return GatewayResponse(200, {**HTML_HEADERS, **expired}, _page("Signed out", "<p>You are signed out.</p>"))
        if not any(target in c.post_logout_redirect_uris for c in clients):
            return self._error_page(400, "post_logout_redirect_uri is not registered")
        response = _redirect(target, {"state": params.get("state")})
        response.headers.update(expired)
        return response

    # --- pages ---------------------------------------------------------------------------

    def _cookie(self, name: str, value: str, max_age: int) -> str:
        secure = "; Secure" if self.secure_cookies else ""
        return f"{name}={value}; Max-Age={max_age}; Path={OIDC_PATH}; HttpOnly; SameSite=Strict{secure}"

    def _sign_in_page(self, request_id: str, csrf: str, error: str | None = None, user: str = "") -> bytes:
        e = html.escape
        alert = f'<p role="alert" class="error">{e(error)}</p>' if error else ""
        body = f"""{alert}
<form method="post" action="{e(OIDC_PATH)}/authorize">
  <input type="hidden" name="request" value="{e(request_id)}">
  <input type="hidden" name="csrf" value="{e(csrf)}">
  <p><label for="username">User name</label><br>
     <input id="username" name="username" type="text" required maxlength="64" autocomplete="username"
            autofocus value="{e(user)}"></p>
  <p><label for="email">Email</label><br>
     <input id="email" name="email" type="email" maxlength="254" autocomplete="email"
            aria-describedby="email-hint"><br>
     <small id="email-hint">Leave empty for <em>user name</em>@example.com.</small></p>
  <p><input id="staff" name="staff" type="checkbox"> <label for="staff">Staff</label></p>
  <p><button type="submit">Sign in</button></p>
</form>
<p><small>Local development sign-in: no password, nothing leaves this machine.</small></p>"""
        return _page("Sign in to dogcare", body)

    def _error_page(self, status: int, message: str) -> GatewayResponse:
        body = f'<p role="alert">{html.escape(message)}</p>'
        return GatewayResponse(status, dict(HTML_HEADERS), _page("Sign-in error", body))


# --- helpers ---------------------------------------------------------------------------------


def _page(title: str, body: str) -> bytes:
    t = html.escape(title)
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
input[type=text],input[type=email]{{width:100%;padding:.4rem;font-size:1rem}}
button{{padding:.5rem 1.2rem;font-size:1rem}}
.error{{color:#a00000;font-weight:bold}}</style></head>
<body><main><h1>{t}</h1>
{body}
</main></body></html>
""".encode()


def _json(status: int, document: Mapping[str, Any], cache: str = "no-store") -> GatewayResponse:
    headers = {**SECURITY_HEADERS, "Cache-Control": cache, "Content-Type": "application/json"}
    if cache != "no-store":
        headers.pop("Pragma")
    return GatewayResponse(status, headers, json.dumps(document).encode())


def _token_error(status: int, error: str, description: str) -> GatewayResponse:
    """An RFC 6749 section 5.2 error."""
    response = _json(status, {"error": error, "error_description": description})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="dogcare-oidc"'
    return response


def _redirect(target: str, params: Mapping[str, str | None], status: int = 302) -> GatewayResponse:
    """``target`` (a registered URI) with ``params`` added to its query."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    location = target + ("&" if "?" in target else "?") + query if query else target
    return GatewayResponse(status, {**SECURITY_HEADERS, "Location": location, "Content-Length": "0"}, b"")


def _single_values(query: str) -> dict[str, str] | str:
    """Query or form parameters; a repeated one is refused (RFC 6749 section 3.1)."""
    values: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError:
        return "too many parameters"
    for key, value in pairs:
        if key in values:
            return f"parameter {key} was given more than once"
        values[key] = value
    return values


def _form(headers: Mapping[str, str], body: bytes) -> dict[str, str] | str:
    media = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if media.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return "the body must be application/x-www-form-urlencoded"
    if len(body) > MAX_FORM_BYTES:
        return "the form is too large"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the form is not UTF-8"
    return _single_values(text)


def _cookies(headers: Mapping[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in headers.items():
        if name.lower() == "cookie":
            try:
                jar.load(value)
            except Exception:  # noqa: S112 - a malformed cookie header is simply no cookie
                continue
    return {name: morsel.value for name, morsel in jar.items()}


def _plausible_email(email: str) -> bool:
    from pydantic import TypeAdapter, ValidationError

    from dogcare.commands import Email

    try:
        TypeAdapter(Email).validate_python(email)
    except ValidationError:
        return False
    return True
