"""What real DynamoDB does under load, through the fault layer (``tests.faults``): partial batch
reads, cancelled transactions, lost answers and transactions in progress.

* a booking is never decided on a record that was not read (a full day stays full, a dog that
  exists is never "not found"); when the reads cannot complete it is a 503, writing nothing;
* a transaction cancelled for a conflict is retried inside the library, never turned into a
  409 or 412 the caller did not cause;
* a transaction whose answer was lost is sent again with the same ``ClientRequestToken``, so
  it is applied once, however often it is re-sent.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dogcare.commands import NewDog
from dogcare.domain.actor import Actor
from dogcare.errors import CapacityFull, StorageUnavailable
from dogcare.testing.factories import actor_of, register_owner
from tests.faults import CONFLICT, IN_PROGRESS, LOST, PARTIAL, FaultProxy
from tests.reliability.api import Api, booking_body, configure, dog_body, reset_runtime
from tests.reliability.conftest import AppFactory, book, check_invariants, daycare, of_type, owner_with_dog
from tests.reliability.faults import no_backoff
from tests.reliability.invariants import data_items

STAFF = Actor.staff("staff-1")

pytestmark = pytest.mark.server


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, faults: FaultProxy, tmp_path: Path) -> Iterator[Api]:
    """The API (authorizer + handlers) with its DynamoDB behind the fault layer; botocore's
    own pauses skipped (a throttled retry waits up to a second), the library's are real."""
    no_backoff(monkeypatch, library=False)
    yield configure(monkeypatch, faults.endpoint, f"dbf-{uuid.uuid4().hex[:10]}", tmp_path)
    reset_runtime()


def owner_and_dog(api: Api, sub: str) -> str:
    owner = register_owner(api.app, sub, name="Ana")
    return api.app.dogs.add(actor_of(owner), NewDog.model_validate(dog_body())).id


def bookings_of(api: Api, dog_id: str) -> list[dict[str, Any]]:
    return [i for i in data_items(api.items()) if i.get("entity_type") == "booking" and i["dog_id"] == dog_id]


# --- partial batch reads -------------------------------------------------------------------


def test_half_of_the_batch_reads_partial_never_decides_on_unread_data(
    make_app: AppFactory, faults: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_backoff(monkeypatch, library=False)
    app = make_app(dynamodb_endpoint=faults.endpoint)
    app.staff.set_capacity(STAFF, "daycare", 2)
    for i in range(2):
        owner, dog = owner_with_dog(app, f"early-{i}")
        book(app, owner, daycare(dog, 5))
    late = [owner_with_dog(app, f"late-{i}") for i in range(12)]
    faults.configure(seed=5, rates={"BatchGetItem": {PARTIAL: 0.5}})

    outcomes: Counter[str] = Counter()
    for i, (owner, dog) in enumerate(late):
        try:  # day 5 is full: the capacity setting must have been read, not assumed
            book(app, owner, daycare(dog, 5))
            outcomes["full day booked"] += 1
        except (CapacityFull, StorageUnavailable) as exc:
            outcomes[type(exc).__name__] += 1
        try:  # the dog exists: never "not found" because its record was left unread
            book(app, owner, daycare(dog, 6 + i))
            outcomes["booked"] += 1
        except StorageUnavailable:
            outcomes["StorageUnavailable"] += 1

    assert faults.injected["BatchGetItem:partial"] >= 8, faults.injected
    assert outcomes["full day booked"] == 0, outcomes
    assert outcomes["CapacityFull"] + outcomes["booked"] >= 2 * len(late) - 1, outcomes  # 503s are rare
    items = check_invariants(app)
    assert len(of_type(items, "booking")) == 2 + outcomes["booked"]


def test_batch_reads_that_never_complete_are_a_503_with_retry_after_and_write_nothing(
    api: Api, faults: FaultProxy
) -> None:
    dog = owner_and_dog(api, "unread")
    before = api.data()
    faults.configure(rates={"BatchGetItem": {PARTIAL: 1.0}})
    response = api.call("unread", "POST", "/bookings", booking_body(dog))
    assert response.status == 503, response.body
    assert response.headers["Retry-After"].isdigit()
    assert json.loads(response.body)["type"] == "/problems/storage-unavailable"
    assert faults.requests["TransactWriteItems"] == 0  # nothing was decided, so nothing sent
    faults.off()
    assert api.data() == before


# --- conflicting transactions --------------------------------------------------------------


def test_with_30_percent_of_transactions_conflicting_the_api_answers_no_409_or_412(
    api: Api, faults: FaultProxy, record_property: Callable[[str, object], None]
) -> None:
    subjects = [f"busy-{i}" for i in range(12)]
    dogs = {sub: owner_and_dog(api, sub) for sub in subjects}
    faults.configure(seed=30, rates={"TransactWriteItems": {CONFLICT: 0.3}})

    statuses: Counter[int] = Counter()

    def call(sub: str, method: str, path: str, body: Any = None) -> dict[str, Any] | None:
        response = api.call(sub, method, path, body)
        statuses[response.status] += 1
        assert response.status in (200, 201, 503), (method, path, response.status, response.body)
        return json.loads(response.body) if response.status in (200, 201) else None

    for n, sub in enumerate(subjects):
        created = call(sub, "POST", "/bookings", booking_body(dogs[sub], offset=3 + n % 4))
        if created is None:
            continue
        moved = booking_body(dogs[sub], offset=10 + n % 4, start=8, end=12)
        call(
            sub, "PUT", f"/bookings/{created['id']}", {"start_time": moved["start_time"], "end_time": moved["end_time"]}
        )
        if n % 2:
            call(sub, "DELETE", f"/bookings/{created['id']}")

    conflicts = faults.total_injected(CONFLICT)
    operations = sum(statuses.values())
    record_property(
        "measured",
        f"API under 30 % conflicting transactions: {operations} operations, {statuses[503]} answered 503, "
        f"{conflicts} conflicts injected over {faults.requests['TransactWriteItems']} transactions sent",
    )
    assert conflicts >= 5, faults.injected
    assert statuses[503] <= 1, statuses  # 0.3 ** 5 per write: rare
    faults.off()
    api.check()


# --- lost answers and transactions in progress ---------------------------------------------


@pytest.mark.parametrize("lost", [1, 4], ids=["one-answer-lost", "every-botocore-try-lost"])
def test_a_booking_whose_answer_was_lost_is_applied_once(api: Api, faults: FaultProxy, lost: int) -> None:
    """One lost answer: botocore sends the same request again. Four: botocore gives up and the
    library sends it again, with the same token. Either way DynamoDB applied it once."""
    dog = owner_and_dog(api, f"lost-{lost}")
    faults.configure(rates={"TransactWriteItems": {LOST: 1.0}}, limit={"TransactWriteItems:lost": lost})
    response = api.call(f"lost-{lost}", "POST", "/bookings", booking_body(dog))
    assert response.status == 201, response.body
    assert faults.injected["TransactWriteItems:lost"] == lost
    assert faults.replayed == lost  # every re-send was answered from the token, none applied again
    faults.off()
    stored = bookings_of(api, dog)
    assert [b["id"] for b in stored] == [json.loads(response.body)["id"]]
    api.check()


def test_a_booking_whose_answers_are_all_lost_then_retried_by_the_client_is_one_booking(
    api: Api, faults: FaultProxy
) -> None:
    dog = owner_and_dog(api, "all-lost")
    key = {"Idempotency-Key": "booking-all-lost-0001"}
    faults.configure(rates={"TransactWriteItems": {LOST: 1.0}})
    first = api.call("all-lost", "POST", "/bookings", booking_body(dog), **key)
    assert first.status == 503, first.body
    assert "may have been saved" in json.loads(first.body)["detail"]
    assert faults.injected["TransactWriteItems:lost"] == 4 * 5  # botocore's 4 tries, 5 library attempts
    assert faults.replayed == 4 * 5 - 1  # applied by the first send only
    faults.off()
    assert len(bookings_of(api, dog)) == 1

    retry = api.call("all-lost", "POST", "/bookings", booking_body(dog), **key)
    # The 503 released the key (the request failed), so the retry runs again: the booking's id
    # is derived from the key, so it finds the first attempt's booking and answers with it.
    (booking,) = bookings_of(api, dog)
    assert retry.status == 201, retry.body
    assert json.loads(retry.body)["id"] == booking["id"]
    assert len(bookings_of(api, dog)) == 1
    # The same key for another stay is refused, and writes nothing.
    reused = api.call("all-lost", "POST", "/bookings", booking_body(dog, offset=4), **key)
    assert reused.status == 422, reused.body
    assert len(bookings_of(api, dog)) == 1
    api.check()


def test_a_transaction_in_progress_is_safe(api: Api, faults: FaultProxy) -> None:
    """DynamoDB applied the booking and answered ``TransactionInProgressException`` (what a retry
    sees while the first send with its token is still running): the re-send with the same token
    gets the first one's success; one booking, counters counted once."""
    dog = owner_and_dog(api, "in-progress")
    faults.configure(rates={"TransactWriteItems": {IN_PROGRESS: 1.0}})
    response = api.call("in-progress", "POST", "/bookings", booking_body(dog))
    assert response.status == 201, response.body
    assert faults.injected["TransactWriteItems:in_progress"] >= 1 and faults.replayed >= 1
    faults.off()
    assert len(bookings_of(api, dog)) == 1
    cancel = api.call("in-progress", "DELETE", f"/bookings/{json.loads(response.body)['id']}")
    assert cancel.status == 200, cancel.body
    api.check()


# --- GSI lag -------------------------------------------------------------------------------


def test_no_rule_reads_an_index_so_a_lagging_index_changes_no_decision(api: Api, faults: FaultProxy) -> None:
    """On AWS an index sees a write later than the table does. The booking rules read only the
    base table (the dog's schedule, the counters), so with the index far behind an overlap is
    still refused; only the lists lag, and catch up."""
    dog = owner_and_dog(api, "lagging")
    faults.configure(gsi_lag=10_000)
    created = api.call("lagging", "POST", "/bookings", booking_body(dog))
    assert created.status == 201, created.body
    overlapping = api.call("lagging", "POST", "/bookings", booking_body(dog, start=12, end=18))
    assert overlapping.status == 409, overlapping.body
    assert json.loads(overlapping.body)["type"] == "/problems/overlapping-booking"
    assert json.loads(api.call("lagging", "GET", "/bookings").body)["items"] == []  # the list has not seen it
    assert faults.injected["Query:gsi_lag"] >= 1
    faults.off()
    listed = json.loads(api.call("lagging", "GET", "/bookings").body)["items"]
    assert [b["id"] for b in listed] == [json.loads(created.body)["id"]]
    api.check()
