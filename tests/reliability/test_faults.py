"""DynamoDB failing under the API: every request of an operation, in turn, is throttled, fails
with an internal error, or gets no answer.

The caller gets either the normal answer (botocore's retries got through) or a 503 problem
with ``Retry-After`` — never a 500 — and nothing is half-written. The rate limiter's own
requests (its per-caller counter) are the exception, by design: a throttled counter is the
caller's own hot item, answered with a 429; any other failure there lets the request through
(see dogcare/repositories/ratelimits.py): the data is unchanged after
a 503, and every guard, counter and roster item matches the bookings after either outcome.
Faults are injected on the function's botocore client (see ``tests.reliability.faults``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dogcare.commands import NewBooking, NewDog
from dogcare.local.gateway import GatewayResponse
from dogcare.testing.factories import actor_of, register_owner
from tests.reliability.api import Api, booking_body, configure, dog_body, reset_runtime
from tests.reliability.faults import (
    DYNAMODB_ERRORS,
    LIBRARY_RETRIED,
    THROTTLED,
    THROTTLING,
    TIMED_OUT,
    UNREACHABLE,
    Fault,
    Faults,
    injected,
    no_backoff,
)
from tests.reliability.invariants import data_items

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def faults_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults-home")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str, faults_home: Path) -> Iterator[Api]:
    """The API on this test's own tables (so its before/after snapshots stay small)."""
    no_backoff(monkeypatch)
    yield configure(monkeypatch, dynamodb_endpoint, f"faults-{uuid.uuid4().hex[:10]}", faults_home)
    reset_runtime()


# --- the operations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    success: int
    prepare: Callable[[Api, str], dict[str, Any]]  # what must exist first; returns the ids
    invoke: Callable[[Api, str, dict[str, Any]], GatewayResponse]

    def __str__(self) -> str:
        return self.name


# Prerequisites are written through the library (faster than through the API; no fault is active).


def _owner(api: Api, sub: str) -> dict[str, Any]:
    owner = register_owner(api.app, sub, name="Ana")
    return {"owner": owner.id}


def _owner_and_dog(api: Api, sub: str) -> dict[str, Any]:
    ids = _owner(api, sub)
    ids["dog"] = api.app.dogs.add(actor_of(ids["owner"]), NewDog.model_validate(dog_body())).id
    return ids


def _booked(api: Api, sub: str) -> dict[str, Any]:
    ids = _owner_and_dog(api, sub)
    ids["booking"] = api.app.bookings.create(
        actor_of(ids["owner"]), NewBooking.model_validate(booking_body(ids["dog"]))
    ).id
    return ids


OPERATIONS = [
    Operation(
        "register",
        201,
        lambda api, sub: {},
        lambda api, sub, ids: api.register(sub, "Ana"),
    ),
    Operation("add-dog", 201, _owner, lambda api, sub, ids: api.call(sub, "POST", "/dogs", dog_body())),
    Operation(
        "create-booking",
        201,
        _owner_and_dog,
        lambda api, sub, ids: api.call(sub, "POST", "/bookings", booking_body(ids["dog"])),
    ),
    Operation(
        "cancel-booking",
        200,
        _booked,
        lambda api, sub, ids: api.call(sub, "DELETE", f"/bookings/{ids['booking']}"),
    ),
]


def _subject(op: Operation) -> str:
    return f"{op.name}-{uuid.uuid4().hex[:10]}"


def calls_of(api: Api, op: Operation) -> list[str]:
    """The DynamoDB requests ``op`` sends when nothing fails (the rate limiter's marked ``rate:``)."""
    sub = _subject(op)
    ids = op.prepare(api, sub)
    client = api.new_container()
    with injected(client, Faults()) as seen:
        response = op.invoke(api, sub, ids)
    assert response.status == op.success, response.body
    return [f"rate:{name}" if rate else name for name, rate in zip(seen.operations, seen.rate_limit, strict=True)]


def expected_status(op: Operation, fault: Fault, call: str) -> int:
    """What a persistent ``fault`` on ``call`` must answer: 503, but on the rate limiter's
    counter 429 when DynamoDB throttles it and the normal answer otherwise (it fails open)."""
    if not call.startswith("rate:"):
        return 503
    return 429 if fault in (THROTTLED, THROTTLING) else op.success


def attempt(api: Api, op: Operation, fault: Fault, call: int, attempts: int) -> tuple[GatewayResponse, Faults]:
    """Run ``op`` with ``fault`` on the first ``attempts`` tries of its request number ``call``;
    check the outcome and the data; returns the response and what was injected."""
    sub = _subject(op)
    ids = op.prepare(api, sub)
    client = api.new_container()  # a fresh client: botocore's retry quota starts full
    before = api.data()
    with injected(client, Faults(fault, call, attempts)) as faults:
        response = op.invoke(api, sub, ids)
    assert faults.injected, f"the fault never hit request {call} ({faults.operations})"
    assert response.status in (op.success, 503, 429), (op.name, fault.name, call, response.status, response.body)
    if response.status == 429:
        assert response.headers.get("Retry-After", "").isdigit(), response.headers
        assert json.loads(response.body)["type"] == "/problems/rate-limited"
        assert api.data() == before, f"{op.name}: a 429 wrote"
    if response.status == 503:
        assert response.headers.get("Retry-After", "").isdigit(), response.headers
        assert response.headers.get("Content-Type", "").startswith("application/problem+json")
        assert json.loads(response.body)["type"] == "/problems/storage-unavailable"
        # No failed attempt reached DynamoDB, and the ones before it only read (or counted the
        # request for the rate limit): a 503 must leave the data exactly as it was.
        assert api.data() == before, f"{op.name}: a 503 left a partial write"
    api.check()
    return response, faults


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_an_error_on_every_request_in_turn_answers_503_with_retry_after(api: Api, op: Operation) -> None:
    calls = calls_of(api, op)
    for fault in DYNAMODB_ERRORS:
        for call in range(len(calls)):
            response, faults = attempt(api, op, fault, call, attempts=100)  # every retry fails too
            assert response.status == expected_status(op, fault, calls[call]), (op.name, fault.name, calls[call])
            # The first try and botocore's three retries; a transaction or a batch read is then
            # sent again by the library (5 attempts in all), each with botocore's four tries.
            library_attempts = 5 if calls[call] in LIBRARY_RETRIED else 1
            assert len(faults.injected) == 4 * library_attempts, faults.injected


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_a_single_error_on_every_request_in_turn_is_retried_away(api: Api, op: Operation) -> None:
    calls = calls_of(api, op)
    for fault in DYNAMODB_ERRORS:
        for call in range(len(calls)):
            response, faults = attempt(api, op, fault, call, attempts=1)
            assert response.status == op.success, (op.name, fault.name, calls[call], response.body)
            assert faults.injected == [f"{calls[call].removeprefix('rate:')}#0"]


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_no_answer_from_dynamodb_on_every_request_in_turn_is_a_503(api: Api, op: Operation) -> None:
    calls = calls_of(api, op)
    for fault in (UNREACHABLE, TIMED_OUT):
        for call in range(len(calls)):
            response, _ = attempt(api, op, fault, call, attempts=100)
            assert response.status == expected_status(op, fault, calls[call]), (op.name, fault.name, calls[call])


def test_a_persistent_fault_leaves_the_next_request_unharmed(api: Api) -> None:
    """After a 503 the client's retry, with DynamoDB back, completes the operation once."""
    op = OPERATIONS[2]  # create-booking
    sub = _subject(op)
    ids = op.prepare(api, sub)
    client = api.new_container()
    with injected(client, Faults(THROTTLING, 2, attempts=100)):  # the transaction is throttled
        assert op.invoke(api, sub, ids).status == 503
    assert op.invoke(api, sub, ids).status == 201
    items = api.check()
    bookings = [i for i in data_items(items) if i.get("entity_type") == "booking" and i["dog_id"] == ids["dog"]]
    assert len(bookings) == 1
