"""Another owner's item costs exactly what an unknown id costs: the same DynamoDB requests, and
the foreign item is never deserialised (the owner is compared on the raw item first), so the
two ``404`` answers cannot be told apart by their timing. Timing itself is not asserted (too
noisy on shared machines); what makes it differ is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.client import BaseClient
from pynamodb.models import Model

from tests.integration.api.support import Api, assert_problem

# Powertools warns when an invocation published no business metric (most requests do not).
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

UNKNOWN = {
    "dog": "dog-00000000-0000-4000-8000-000000000000",
    "booking": "booking-00000000-0000-4000-8000-000000000000",
    "payment": "payment-00000000-0000-4000-8000-000000000000",
}


@contextmanager
def observed() -> Iterator[dict[str, list[Any]]]:
    """DynamoDB requests made, and model instances built from raw items, in the block."""
    seen: dict[str, list[Any]] = {"requests": [], "built": []}
    original_call = BaseClient._make_api_call  # type: ignore[attr-defined]
    original_build = Model.from_raw_data.__func__  # type: ignore[attr-defined]

    def call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            key = params.get("Key", {}).get("pk", {}).get("S", "")
            if not key.startswith("RATE#"):  # the rate limiter's own bookkeeping aside
                seen["requests"].append(operation)
        return original_call(self, operation, params)

    def build(cls: type[Model], data: dict[str, Any]) -> Any:
        key = data.get("pk", {}).get("S", "")
        # The rate limiter reads the previous minute's window too: once the test has run into a
        # new minute, that window exists and is built. It is the caller's own bookkeeping.
        if not key.startswith("RATE#"):
            seen["built"].append(key)
        return original_build(cls, data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", call)
        patch.setattr(Model, "from_raw_data", classmethod(build))
        yield seen


@pytest.fixture
def bobs(api: Api) -> dict[str, str]:
    """Bob's dog, booking and payment (Alice is registered too, with nothing of her own)."""
    from dogcare.testing.payment_gateway import InMemoryPaymentGateway
    from handlers.common import runtime

    runtime.dogcare().payment_gateway = InMemoryPaymentGateway()
    api.register("alice")
    api.register("bob")
    dog = api.add_dog("bob")
    booking = api.book("bob", dog["id"])
    payment = api.call("POST", "/payments", sub="bob", body={"booking_id": booking["id"]})
    assert payment.status == 201, payment.body
    return {"dog": dog["id"], "booking": booking["id"], "payment": payment.body["id"]}


ROUTES: dict[str, Callable[[str], tuple[str, str, dict[str, Any]]]] = {
    "read a dog": lambda i: ("GET", "/dogs/{id}", {"path_params": {"id": i}}),
    "change a dog": lambda i: ("PUT", "/dogs/{id}", {"path_params": {"id": i}, "body": {"breed": "Pug"}}),
    "remove a dog": lambda i: ("DELETE", "/dogs/{id}", {"path_params": {"id": i}}),
    "read a booking": lambda i: ("GET", "/bookings/{id}", {"path_params": {"id": i}}),
    "cancel a booking": lambda i: ("DELETE", "/bookings/{id}", {"path_params": {"id": i}}),
    "pay a booking": lambda i: ("POST", "/payments", {"body": {"booking_id": i}}),
    "read a payment": lambda i: ("GET", "/payments/{id}", {"path_params": {"id": i}}),
}
ENTITY = {
    "read a dog": "dog",
    "change a dog": "dog",
    "remove a dog": "dog",
    "read a booking": "booking",
    "cancel a booking": "booking",
    "pay a booking": "booking",
    "read a payment": "payment",
}


@pytest.mark.parametrize("case", ROUTES)
def test_a_foreign_item_costs_what_an_unknown_one_costs(api: Api, bobs: dict[str, str], case: str) -> None:
    entity = ENTITY[case]
    answers, costs = [], []
    for target in (bobs[entity], UNKNOWN[entity]):
        method, resource, kwargs = ROUTES[case](target)
        with api.unchanged(), observed() as seen:
            answers.append(api.call(method, resource, sub="alice", **kwargs))
        costs.append(seen)
    foreign, unknown = answers
    assert_problem(foreign, 404, "not-found")
    assert foreign.body == unknown.body  # byte-for-byte the same document
    assert costs[0]["requests"] == costs[1]["requests"]  # the same requests, in the same order
    assert costs[0]["requests"] == ["GetItem"]
    assert costs[0]["built"] == [], f"Bob's {entity} was deserialised for Alice"
