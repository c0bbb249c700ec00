"""The keyed POSTs' use cases under ``idempotent_use_case``: Powertools' ``idempotent_function``
on the use case itself, its view stored with ``PydanticSerializer`` and given back on a replay."""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import pytest

from dogcare.commands import NewBooking
from dogcare.domain.actor import Actor
from dogcare.local.gateway import LambdaContext
from handlers.common.idempotency import KeyedRequest, KeyInFlight, KeyReused
from handlers.common.views import BookingView
from tests.integration.api.support import Api, booking_body, day

KEY = "use-case-key-0001"


@pytest.fixture
def owner(api: Api) -> str:
    api.register("alice")
    return str(api.call("GET", "/owners/profile").body["id"])


@pytest.fixture
def dog(api: Api, owner: str) -> dict[str, Any]:
    return api.add_dog("alice")


@pytest.fixture
def creations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every call of the booking service's ``create`` (it still does its work)."""
    from handlers.common import runtime

    service = runtime.dogcare().bookings
    original = service.create
    calls: list[Any] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "create", counted)
    return calls


def request(owner: str, dog_id: str, key: str | None = KEY, days_ahead: int = 5) -> KeyedRequest[NewBooking]:
    """Alice's request (``owner`` is her owner id, which her subject names)."""
    command = NewBooking.model_validate(booking_body(dog_id, start=day(days_ahead)))
    actor = Actor("alice")
    assert actor.owner_id == owner
    return KeyedRequest[NewBooking](actor=actor, key=key, command=command)


def idempotency_records(api: Api) -> list[dict[str, Any]]:
    from handlers.common import runtime

    client = runtime.dogcare().store.client
    table = runtime.dogcare().store.layout.table_name("bookings")
    items = client.scan(TableName=table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("IDEMPOTENCY#")]


def test_a_replay_gets_the_first_view_back_without_running_the_use_case(
    api: Api, owner: str, dog: dict[str, Any], creations: list[Any]
) -> None:
    from handlers.bookings import book

    first = book(request=request(owner, dog["id"]), lambda_context=LambdaContext("BookingsFunction"))
    replay = book(request=request(owner, dog["id"]), lambda_context=LambdaContext("BookingsFunction"))
    assert isinstance(first, BookingView) and isinstance(replay, BookingView)
    assert replay == first  # the view, version (ETag) included
    assert len(creations) == 1


def test_a_replay_on_another_container_gets_the_first_view_back(
    api: Api, owner: str, dog: dict[str, Any], creations: list[Any]
) -> None:
    """The local gateway runs a copy of the handler module per container: a replay reaching
    another copy finds the record the first one wrote."""
    from handlers.bookings import book

    first = book(request=request(owner, dog["id"]), lambda_context=LambdaContext("BookingsFunction"))
    spec = importlib.util.find_spec("handlers.bookings")
    assert spec is not None and spec.origin is not None
    copy = importlib.util.spec_from_file_location("handlers.bookings__container1", spec.origin)
    assert copy is not None and copy.loader is not None
    container = importlib.util.module_from_spec(copy)
    copy.loader.exec_module(container)
    assert container.book(request=request(owner, dog["id"]), lambda_context=LambdaContext("BookingsFunction")) == first
    assert len(creations) == 1


def test_the_record_is_the_use_cases_own_in_the_callers_shard(api: Api, owner: str, dog: dict[str, Any]) -> None:
    from dogcare.storage import keys
    from handlers.bookings import book

    view = book(request=request(owner, dog["id"]), lambda_context=LambdaContext("BookingsFunction"))
    [record] = idempotency_records(api)
    assert record["pk"]["S"] == keys.idempotency_pk("bookings", keys.idempotency_shard(owner, KEY))
    assert record["sk"]["S"].startswith("book#")  # named by the use case
    assert record["status"]["S"] == "COMPLETED"
    assert BookingView.model_validate_json(record["data"]["S"]) == view  # PydanticSerializer's dump
    assert int(record["expiration"]["N"]) == pytest.approx(time.time() + 24 * 3600, abs=60)


def test_the_same_key_with_another_command_is_refused(
    api: Api, owner: str, dog: dict[str, Any], creations: list[Any]
) -> None:
    from handlers.bookings import book

    book(request=request(owner, dog["id"]), lambda_context=LambdaContext("BookingsFunction"))
    with pytest.raises(KeyReused):
        book(request=request(owner, dog["id"], days_ahead=6), lambda_context=LambdaContext("BookingsFunction"))
    assert len(creations) == 1


def test_without_a_key_the_use_case_runs_every_time(
    api: Api, owner: str, dog: dict[str, Any], creations: list[Any]
) -> None:
    from handlers.bookings import book

    first = book(request=request(owner, dog["id"], key=None), lambda_context=LambdaContext("BookingsFunction"))
    second = book(
        request=request(owner, dog["id"], key=None, days_ahead=6), lambda_context=LambdaContext("BookingsFunction")
    )
    assert first.id != second.id
    assert len(creations) == 2
    assert idempotency_records(api) == []


def test_the_lambda_context_bounds_how_long_a_key_stays_in_flight(
    api: Api, owner: str, dog: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the use case runs, the record is in progress until the invocation's own end (the
    registered context's remaining time): a second request with the key meanwhile is a 409."""
    from handlers import bookings

    context = LambdaContext("BookingsFunction", timeout_seconds=3.0)
    seen: list[dict[str, Any]] = []
    original = bookings.runtime.dogcare().bookings.create

    def while_in_flight(*args: Any, **kwargs: Any) -> Any:
        seen.extend(idempotency_records(api))
        with pytest.raises(KeyInFlight):
            bookings.book(request=request(owner, dog["id"]), lambda_context=context)
        return original(*args, **kwargs)

    monkeypatch.setattr(bookings.runtime.dogcare().bookings, "create", while_in_flight)
    bookings.book(request=request(owner, dog["id"]), lambda_context=context)
    [record] = seen
    assert record["status"]["S"] == "INPROGRESS"
    in_flight_until = int(record["in_progress_expiration"]["N"]) / 1000
    assert time.time() < in_flight_until <= time.time() + 3.0
