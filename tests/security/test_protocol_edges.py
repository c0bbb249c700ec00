"""Below the JSON: HTTP framing at the local gateway (raw sockets) and Stripe's signed envelope.

The local gateway must refuse what API Gateway refuses before any function runs, with a
problem document and without holding a thread; a correctly signed webhook must still be
refused when its timestamp is far in the future or its payload is nested beyond reason.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dogcare.errors import InvalidWebhook
from dogcare.local.gateway import LocalGateway
from dogcare.payments.stripe_gateway import StripeGateway
from dogcare.testing.payment_gateway import InMemoryPaymentGateway, sign_payload

SECRET = "whsec_protocol_edges_0123456789"


# --- the local gateway, over raw sockets ---------------------------------------------------------


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[str, int]]:
    local = LocalGateway(containers_per_function=1)
    url = local.start("127.0.0.1", 0)
    host, port = url.removeprefix("http://").split(":")
    try:
        yield host, int(port)
    finally:
        local.stop()


def exchange(address: tuple[str, int], request: bytes, timeout: float = 3.0) -> tuple[int, dict[str, str], Any]:
    """Send ``request`` as it is; read one response (the server must answer within ``timeout``)."""
    with socket.create_connection(address, timeout=timeout) as conn:
        conn.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            assert chunk, f"the connection was dropped without an answer: {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("iso-8859-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            assert chunk, "the body was cut short"
            body += chunk
    status = int(lines[0].split()[1])
    return status, headers, json.loads(body) if body else None


def request(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode() + body


def assert_bad_request(answer: tuple[int, dict[str, str], Any], status: int = 400) -> None:
    code, headers, body = answer
    assert code == status, body
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"]
    assert body["detail"]


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "0x10", " ", "99999999999999999999"], ids=repr)
def test_a_content_length_that_is_not_a_plain_number_is_400(gateway: tuple[str, int], length: str) -> None:
    started = time.monotonic()
    answer = exchange(
        gateway,
        request("POST", "/dogs", f"Content-Length: {length}", "Content-Type: application/json", body=b"{}"),
    )
    assert_bad_request(answer)
    assert answer[1].get("connection") == "close"  # the body's extent is unknown: no keep-alive
    assert time.monotonic() - started < 2, "the request held a thread"


def test_two_different_content_lengths_are_400(gateway: tuple[str, int]) -> None:
    answer = exchange(gateway, request("POST", "/dogs", "Content-Length: 2", "Content-Length: 3", body=b"{}x"))
    assert_bad_request(answer)


def test_a_chunked_body_is_refused_rather_than_left_in_the_stream(gateway: tuple[str, int]) -> None:
    answer = exchange(gateway, request("POST", "/dogs", "Transfer-Encoding: chunked", body=b"2\r\n{}\r\n0\r\n\r\n"))
    assert_bad_request(answer)


def test_two_authorization_headers_are_400_not_last_wins(gateway: tuple[str, int]) -> None:
    answer = exchange(
        gateway,
        request("GET", "/owners/profile", "Authorization: Bearer first", "Authorization: Bearer second"),
    )
    assert_bad_request(answer)
    # The control: one (bad) header is an ordinary 401 from the authorizer's code path.
    code, _, body = exchange(gateway, request("GET", "/owners/profile", "Authorization: Bearer first"))
    assert code == 401, body


def test_an_oversized_content_length_is_413_before_any_byte_is_read(gateway: tuple[str, int]) -> None:
    answer = exchange(gateway, request("POST", "/dogs", f"Content-Length: {11 * 1024 * 1024}"))
    assert_bad_request(answer, 413)


# --- Stripe's signed envelope --------------------------------------------------------------------


def _gateways() -> list[Any]:
    return [
        StripeGateway("sk_test_protocol_edges", SECRET, api_base="http://127.0.0.1:9"),
        InMemoryPaymentGateway(webhook_secret=SECRET),
    ]


EVENT = {
    "id": "evt_1",
    "type": "payment_intent.succeeded",
    "created": 1_700_000_000,
    "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
}


@pytest.mark.parametrize("make", [0, 1], ids=["stripe", "in-memory"])
@pytest.mark.parametrize("ahead", [301, 3600, 3 * 86400])
def test_a_signed_event_from_the_future_is_refused(make: int, ahead: int) -> None:
    gateway = _gateways()[make]
    payload = json.dumps(EVENT).encode()
    with pytest.raises(InvalidWebhook, match="ahead"):
        gateway.parse_webhook(payload, sign_payload(payload, SECRET, int(time.time()) + ahead))
    # The control: within the tolerance either way, the same event is accepted.
    for skew in (-200, 0, 200):
        event = gateway.parse_webhook(payload, sign_payload(payload, SECRET, int(time.time()) + skew))
        assert event.id == "evt_1"


@pytest.mark.parametrize("make", [0, 1], ids=["stripe", "in-memory"])
def test_a_signed_event_nested_2000_levels_deep_is_refused(make: int) -> None:
    gateway = _gateways()[make]
    payload = ('{"id": "evt_1", "type": "x", "data": ' + "[" * 2000 + "]" * 2000 + "}").encode()
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, sign_payload(payload, SECRET, int(time.time())))


def test_a_signed_body_that_is_not_utf8_is_refused() -> None:
    gateway = _gateways()[0]
    payload = b'{"id": "evt_\xff", "type": "x"}'
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, sign_payload(payload, SECRET, int(time.time())))
