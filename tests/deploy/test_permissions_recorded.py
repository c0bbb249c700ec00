"""What the handlers really do in DynamoDB is exactly what ``handlers.registry.PERMISSIONS``
declares (and so what the template's roles allow: test_template checks that side).

Every route of every function runs through its ``lambda_handler`` on moto with four tables,
every path that reaches a different action included (idempotent replays and failures,
rescheduling, paying, the Stripe webhook and its redelivery, cancelling a paid booking, which
refunds it, check-in and check-out), with the in-memory payment gateway in place of Stripe.
Each DynamoDB request is recorded as the IAM actions it needs on the table or index it names,
and as the partition keys it names (what ``dynamodb:LeadingKeys`` conditions match). Too few
declared actions or key patterns would be an AccessDenied in AWS; too many, a role wider than
the code.
"""

from __future__ import annotations

import contextvars
import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dogcare.storage import keys
from dogcare.storage.layout import TableLayout
from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from handlers.registry import FUNCTIONS, PERMISSIONS, SCHEDULED_FUNCTIONS
from tests.deploy.conftest import PREFIX, Caller, api_event, body_of, id_token_header, invoke, scheduled_event

Grants = dict[tuple[str, str | None], set[str]]

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("recording_function", default=None)
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def needed(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    """(table, index, IAM action) for one DynamoDB request."""
    if operation == "TransactWriteItems":
        for item in params["TransactItems"]:
            ((kind, request),) = item.items()
            yield request["TableName"], None, f"dynamodb:{_TRANSACT_ACTIONS[kind]}"
    elif operation == "TransactGetItems":
        for item in params["TransactItems"]:
            yield item["Get"]["TableName"], None, "dynamodb:GetItem"
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params["RequestItems"]:
            yield table, None, f"dynamodb:{operation}"
    else:
        yield params["TableName"], params.get("IndexName"), f"dynamodb:{operation}"


def _pk(item: dict[str, Any]) -> str:
    return str(item["pk"]["S"])


def _query_partition(params: dict[str, Any]) -> str:
    """The partition key value of a Query: the value compared with ``=`` first in its key
    condition (PynamoDB writes the hash key condition first)."""
    match = re.search(r"(#\w+) = (:\w+)", params["KeyConditionExpression"])
    assert match, params["KeyConditionExpression"]
    return str(params["ExpressionAttributeValues"][match.group(2)]["S"])


def partition_keys(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    """(table, index, partition key value) of every item or partition one request names: what
    ``dynamodb:LeadingKeys`` is evaluated against."""
    if operation == "TransactWriteItems":
        for item in params["TransactItems"]:
            ((_, request),) = item.items()
            yield request["TableName"], None, _pk(request.get("Key") or request["Item"])
    elif operation == "TransactGetItems":
        for item in params["TransactItems"]:
            yield item["Get"]["TableName"], None, _pk(item["Get"]["Key"])
    elif operation == "BatchGetItem":
        for table, request in params["RequestItems"].items():
            for key in request["Keys"]:
                yield table, None, _pk(key)
    elif operation == "BatchWriteItem":
        for table, requests in params["RequestItems"].items():
            for request in requests:
                ((kind, body),) = request.items()
                yield table, None, _pk(body["Key"] if kind == "DeleteRequest" else body["Item"])
    elif operation == "Query":
        yield params["TableName"], params.get("IndexName"), _query_partition(params)
    else:
        yield params["TableName"], None, _pk(params.get("Key") or params["Item"])


@dataclass
class Recording:
    grants: dict[str, Grants]
    keys: dict[str, dict[tuple[str, str | None], set[str]]]  # function -> (table, index) -> keys


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recording:
    """Function -> what its requests needed, recorded from every botocore DynamoDB call."""
    from botocore.client import BaseClient

    calls: dict[str, Grants] = defaultdict(lambda: defaultdict(set))
    keys: dict[str, dict[tuple[str, str | None], set[str]]] = defaultdict(lambda: defaultdict(set))
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recording(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        function = _function.get()
        if function is not None and self.meta.service_model.service_name == "dynamodb":
            for table, index, action in needed(operation, params):
                calls[function][(table, index)].add(action)
            for table, index, key in partition_keys(operation, params):
                keys[function][(table, index)].add(key)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return Recording(calls, keys)


def call(function: str, event: dict[str, Any], status: int) -> Any:
    from handlers.common import runtime

    # Each function runs in containers of its own: none shares another's rate-limit notes (a
    # container reads the caller's previous minute once, then remembers it).
    runtime.rate_limiter.cache_clear()
    token = _function.set(function)
    try:
        response = invoke(function, event)
    finally:
        _function.reset(token)
    assert response["statusCode"] == status, (event["httpMethod"], event["resource"], response.get("body"))
    return body_of(response)


def run_scheduled(function: str) -> Any:
    token = _function.set(function)
    try:
        return invoke(function, scheduled_event())
    finally:
        _function.reset(token)


def expire_hold_now(app: Any, booking_id: str) -> None:
    """Move a hold's deadline into the past (the test cannot wait half an hour)."""
    B = app.store.models.Booking
    past = "2000-01-01T00:00:00Z"
    item = B.get(keys.booking_pk(booking_id), keys.PROFILE, consistent_read=True)
    item.update(actions=[B.hold_expires_at.set(past), B.gsi3sk.set(keys.holds_sk(past, booking_id))])


def declared(function: str) -> Grants:
    layout = TableLayout("four", PREFIX)
    grants: Grants = defaultdict(set)
    for logical, access in PERMISSIONS[function].items():
        table = layout.table_name(logical)
        grants[(table, None)] |= set(access.actions)
        for index in access.query_indexes:
            grants[(table, index)].add("dynamodb:Query")
    return {key: value for key, value in grants.items() if value}


def declared_keys(function: str) -> dict[tuple[str, str | None], set[str]]:
    """(table, index) -> the ``dynamodb:LeadingKeys`` patterns the registry declares for it."""
    layout = TableLayout("four", PREFIX)
    patterns: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for logical, access in PERMISSIONS[function].items():
        table = layout.table_name(logical)
        patterns[(table, None)] |= set(access.keys)
        for index in access.query_indexes:
            patterns[(table, index)] |= set(access.index_keys)
    return dict(patterns)


def _day(days: int, hour: int) -> str:
    moment = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")


VACCINATIONS = [{"name": n, "expires_on": "2099-01-01"} for n in ("rabies", "dhpp", "bordetella")]


def test_the_handlers_need_exactly_the_declared_permissions(lambda_env: Any, recorded: Recording) -> None:
    alice, staff = Caller("alice-sub"), Caller("staff-sub", "admin")

    # owners: register (owner + email guard), read, change the email (guard moved)
    call(
        "OwnersFunction",
        api_event(
            "POST",
            "/owners/register",
            caller=alice,
            body={"name": "Alice"},
            headers=id_token_header(alice.sub, "alice@example.com"),
        ),
        201,
    )
    call("OwnersFunction", api_event("GET", "/owners/profile", caller=alice), 200)
    call(
        "OwnersFunction",
        api_event(
            "PUT", "/owners/profile", caller=alice, body={}, headers=id_token_header(alice.sub, "ali@example.com")
        ),
        200,
    )

    # dogs: add (the owner must exist), list, read, change, remove
    new_dog = {"name": "Rex", "size": "large", "vaccinations": VACCINATIONS}
    dog = call("DogsFunction", api_event("POST", "/dogs", caller=alice, body=new_dog), 201)["id"]
    other = call("DogsFunction", api_event("POST", "/dogs", caller=alice, body={**new_dog, "name": "Ivy"}), 201)["id"]
    call("DogsFunction", api_event("GET", "/dogs", caller=alice), 200)
    call("DogsFunction", api_event("GET", "/dogs/{id}", path_parameters={"id": dog}, caller=alice), 200)
    call(
        "DogsFunction",
        api_event("PUT", "/dogs/{id}", path_parameters={"id": dog}, caller=alice, body={"breed": "Collie"}),
        200,
    )
    call("DogsFunction", api_event("DELETE", "/dogs/{id}", path_parameters={"id": other}, caller=alice), 204)

    # bookings: create with an Idempotency-Key, replay it, fail with another, list, read,
    # reschedule, change instructions, cancel
    stay_request = {
        "dog_id": dog,
        "service_type": "daycare",
        "start_time": _day(10, 9),
        "end_time": _day(10, 17),
    }
    keyed = {"Idempotency-Key": "booking-key-0001"}
    booking = call(
        "BookingsFunction",
        api_event("POST", "/bookings", caller=alice, body=stay_request, headers=keyed),
        201,
    )["id"]
    replay = call(
        "BookingsFunction",
        api_event("POST", "/bookings", caller=alice, body=stay_request, headers=keyed),
        201,
    )
    assert replay["id"] == booking
    unknown_dog = {**stay_request, "dog_id": "dog-00000000-0000-4000-8000-000000000000"}
    call(
        "BookingsFunction",
        api_event(
            "POST",
            "/bookings",
            caller=alice,
            body=unknown_dog,
            headers={"Idempotency-Key": "booking-key-0002"},
        ),
        404,
    )
    call("BookingsFunction", api_event("GET", "/bookings", caller=alice), 200)
    by_id = {"id": booking}
    call("BookingsFunction", api_event("GET", "/bookings/{id}", path_parameters=by_id, caller=alice), 200)
    call(
        "BookingsFunction",
        api_event(
            "PUT",
            "/bookings/{id}",
            path_parameters=by_id,
            caller=alice,
            body={"start_time": _day(11, 9), "end_time": _day(11, 17)},
        ),
        200,
    )
    call(
        "BookingsFunction",
        api_event(
            "PUT",
            "/bookings/{id}",
            path_parameters=by_id,
            caller=alice,
            body={"special_instructions": "likes tennis balls"},
        ),
        200,
    )
    call("BookingsFunction", api_event("DELETE", "/bookings/{id}", path_parameters=by_id, caller=alice), 200)
    second = call(
        "BookingsFunction",
        api_event(
            "POST",
            "/bookings",
            caller=alice,
            body={**stay_request, "start_time": _day(12, 9), "end_time": _day(12, 17)},
        ),
        201,
    )

    # the web app's reads: a quote, the availability window, a cancellation preview (of a
    # booking with a payment: the payment is read too, below)
    call("BookingsFunction", api_event("POST", "/bookings/quote", caller=alice, body=stay_request), 200)
    window = {"service_type": "daycare", "from": _day(1, 9)[:10], "to": _day(30, 9)[:10]}
    call("BookingsFunction", api_event("GET", "/availability", caller=alice, query=window), 200)

    # payments: pay (with an Idempotency-Key, replayed, and failing with another), read, the
    # webhook confirming the booking, its redelivery; then cancelling another paid booking
    # (the bookings function refunds it)
    gateway = lambda_env.payment_gateway
    keyed = {"Idempotency-Key": "payment-key-0001"}
    payment = call(
        "PaymentsFunction",
        api_event("POST", "/payments", caller=alice, body={"booking_id": second["id"]}, headers=keyed),
        201,
    )
    call(
        "PaymentsFunction",
        api_event("POST", "/payments", caller=alice, body={"booking_id": second["id"]}, headers=keyed),
        201,
    )
    unknown_booking = {"booking_id": "booking-00000000-0000-4000-8000-000000000000"}
    call(
        "PaymentsFunction",
        api_event(
            "POST",
            "/payments",
            caller=alice,
            body=unknown_booking,
            headers={"Idempotency-Key": "payment-key-2"},
        ),
        404,
    )
    call(
        "PaymentsFunction",
        api_event("GET", "/payments/{id}", path_parameters={"id": payment["id"]}, caller=alice),
        200,
    )
    deliver(gateway, payment["provider_reference"], times=2)
    third = call(
        "BookingsFunction",
        api_event(
            "POST",
            "/bookings",
            caller=alice,
            body={**stay_request, "start_time": _day(13, 9), "end_time": _day(13, 17)},
        ),
        201,
    )
    paid = call(
        "PaymentsFunction",
        api_event("POST", "/payments", caller=alice, body={"booking_id": third["id"]}),
        201,
    )
    deliver(gateway, paid["provider_reference"])
    call(
        "BookingsFunction",
        api_event("GET", "/bookings/{id}/cancellation", path_parameters={"id": third["id"]}, caller=alice),
        200,
    )
    call(
        "BookingsFunction",
        api_event("DELETE", "/bookings/{id}", path_parameters={"id": third["id"]}, caller=alice),
        200,
    )
    assert gateway.amount_refunded(paid["provider_reference"]) > 0

    # the sweeper: an unpaid hold whose payment was started expires; the money arrives late and
    # takes the places again (the payments function re-reads the dog's schedule and re-takes them)
    late = call(
        "BookingsFunction",
        api_event(
            "POST",
            "/bookings",
            caller=alice,
            body={**stay_request, "start_time": _day(14, 9), "end_time": _day(14, 17)},
        ),
        201,
    )
    late_payment = call(
        "PaymentsFunction",
        api_event("POST", "/payments", caller=alice, body={"booking_id": late["id"]}),
        201,
    )
    expire_hold_now(lambda_env, late["id"])
    assert run_scheduled("SweeperFunction") == {"expired": 1, "skipped": 0, "more": False}
    assert run_scheduled("SweeperFunction") == {"expired": 0, "skipped": 0, "more": False}
    deliver(gateway, late_payment["provider_reference"])
    assert lambda_env.booking_repository.get(late["id"]).status == "confirmed"

    # admin: capacity, directory, roster, check-in and check-out of the paid booking
    call(
        "AdminFunction",
        api_event(
            "PUT",
            "/admin/capacity/{service_type}",
            caller=staff,
            path_parameters={"service_type": "daycare"},
            body={"daily_capacity": 30},
        ),
        200,
    )
    call("AdminFunction", api_event("GET", "/admin/owners", caller=staff), 200)
    call(
        "AdminFunction",
        api_event("GET", "/admin/bookings", caller=staff, query={"date": _day(12, 9)[:10]}),
        200,
    )
    by_id = {"id": second["id"]}
    call("AdminFunction", api_event("GET", "/admin/bookings/{id}/care-card", path_parameters=by_id, caller=staff), 200)
    call(
        "AdminFunction",
        api_event("POST", "/admin/bookings/{id}/check-in", path_parameters=by_id, caller=staff),
        200,
    )
    call(
        "AdminFunction",
        api_event("POST", "/admin/bookings/{id}/check-out", path_parameters=by_id, caller=staff),
        200,
    )

    for function in [*FUNCTIONS, *SCHEDULED_FUNCTIONS]:
        assert dict(recorded.grants[function].items()) == declared(function), function
    for function in [*FUNCTIONS, *SCHEDULED_FUNCTIONS]:
        allowed = declared_keys(function)
        for where, named in recorded.keys[function].items():
            outside = {k for k in named if not any(fnmatch.fnmatchcase(k, p) for p in allowed.get(where, ()))}
            assert not outside, f"{function} named partition keys its role does not allow on {where}: {outside}"
        # and every declared pattern is used: a pattern nothing needs would widen the role
        for where, patterns in allowed.items():
            used = recorded.keys[function].get(where, set())
            unused = {p for p in patterns if not any(fnmatch.fnmatchcase(k, p) for k in used)}
            assert not unused, f"{function} declares key patterns no request used on {where}: {unused}"


def deliver(gateway: InMemoryPaymentGateway, intent: str, times: int = 1) -> None:
    """The customer pays ``intent``; Stripe delivers ``payment_intent.succeeded`` (``times`` times)."""
    gateway.succeed(intent)
    event = gateway.events_of("payment_intent.succeeded")[-1]
    body, signature = gateway.signed_event(event["id"])
    for _ in range(times):
        request = api_event("POST", "/payments/webhook", body=body.decode(), headers={"Stripe-Signature": signature})
        assert call("PaymentsFunction", request, 200)["received"] is True
