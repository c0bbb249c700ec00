"""Signed pagination cursors: round trip, and every malformed or foreign cursor is InvalidCursor."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dogcare.errors import InvalidCursor
from dogcare.storage.cursors import MAX_CURSOR_LENGTH, CursorCodec, binding, local_secret

SECRET = b"test-cursor-secret-0123456789abcdef"
KEY = {"pk": {"S": "DOG#dog-1"}, "sk": {"S": "#PROFILE"}, "gsi1pk": {"S": "OWNER#owner-a"}}
BOUND = binding("list_owner_dogs", "owner-a", {"owner_id": "owner-a"})


@pytest.fixture
def codec() -> CursorCodec:
    return CursorCodec(SECRET)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip(codec: CursorCodec) -> None:
    cursor = codec.encode(KEY, BOUND)
    assert codec.decode(cursor, BOUND) == KEY
    assert all(c.isalnum() or c in "-_." for c in cursor)  # URL-safe as is


def test_binding_depends_on_pattern_scope_and_params() -> None:
    assert binding("p", "s", {"a": 1}) == binding("p", "s", {"a": 1})
    others = {binding("q", "s", {"a": 1}), binding("p", "t", {"a": 1}), binding("p", "s", {"a": 2})}
    assert BOUND not in others
    assert len(others) == 3
    assert binding("p", "s", {"a": 1, "b": 2}) == binding("p", "s", {"b": 2, "a": 1})


def test_tampered_body_is_rejected(codec: CursorCodec) -> None:
    body, mac = codec.encode(KEY, BOUND).split(".")
    forged = json.dumps({"k": {**KEY, "pk": {"S": "DOG#dog-2"}}, "b": BOUND}, separators=(",", ":"), sort_keys=True)
    with pytest.raises(InvalidCursor):
        codec.decode(f"{b64(forged.encode())}.{mac}", BOUND)
    flipped = ("A" if body[5] != "A" else "B").join((body[:5], body[6:]))
    with pytest.raises(InvalidCursor):
        codec.decode(f"{flipped}.{mac}", BOUND)


def test_tampered_mac_is_rejected(codec: CursorCodec) -> None:
    body, mac = codec.encode(KEY, BOUND).split(".")
    for bad in (mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"), "", mac + mac):
        with pytest.raises(InvalidCursor):
            codec.decode(f"{body}.{bad}", BOUND)


def test_another_secret_is_rejected(codec: CursorCodec) -> None:
    other = CursorCodec(b"another-secret-of-enough-length!")
    with pytest.raises(InvalidCursor):
        codec.decode(other.encode(KEY, BOUND), BOUND)


def test_wrong_binding_is_rejected(codec: CursorCodec) -> None:
    cursor = codec.encode(KEY, BOUND)
    for bound in (
        binding("list_owner_dogs", "owner-b", {"owner_id": "owner-b"}),  # another caller
        binding("list_owner_bookings", "owner-a", {"owner_id": "owner-a"}),  # another query
        binding("list_owner_dogs", "owner-a", {"owner_id": "owner-a", "status": "x"}),  # other parameters
    ):
        with pytest.raises(InvalidCursor, match="another query"):
            codec.decode(cursor, bound)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "abc",
        "a.b.c",
        "!!!.???",
        "é.é",
        "eyJrIjp7fX0",
        "eyJrIjp7fX0.",
        "%00.%00",
        "....",
        "\x00.\x00",
    ],
)
def test_garbage_is_rejected(codec: CursorCodec, garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        codec.decode(garbage, BOUND)


def test_oversize_is_rejected_before_any_work(codec: CursorCodec) -> None:
    big_key = {"pk": {"S": "x" * MAX_CURSOR_LENGTH}}
    cursor = codec.encode(big_key, BOUND)
    assert len(cursor) > MAX_CURSOR_LENGTH
    with pytest.raises(InvalidCursor):
        codec.decode(cursor, BOUND)
    with pytest.raises(InvalidCursor):
        codec.decode("A" * (MAX_CURSOR_LENGTH + 1), BOUND)


def test_signed_payload_that_is_not_a_key_is_rejected(codec: CursorCodec) -> None:
    # Only reachable with the secret, but the decoder still refuses a non-object key.
    body = json.dumps({"k": ["pk"], "b": BOUND}).encode()
    cursor = f"{b64(body)}.{b64(codec._mac(body))}"
    with pytest.raises(InvalidCursor):
        codec.decode(cursor, BOUND)


def test_secret_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        CursorCodec(b"short")


def test_local_secret_is_created_once_and_private(tmp_path: Path) -> None:
    home = tmp_path / "state"
    first = local_secret(home)
    assert len(first) == 64
    assert local_secret(home) == first
    assert stat.S_IMODE((home / "cursor.key").stat().st_mode) == 0o600


@given(st.text(max_size=300))
def test_arbitrary_text_only_ever_raises_invalid_cursor(text: str) -> None:
    codec = CursorCodec(SECRET)
    with pytest.raises(InvalidCursor):
        codec.decode(text, BOUND)
