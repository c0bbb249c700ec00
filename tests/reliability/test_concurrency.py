"""Real threads racing over DynamoDB (moto's HTTP server): the atomic rules hold under contention.

Every thread has its own ``Dogcare`` (its own botocore client, like its own Lambda container)
and they all start together behind a barrier. Afterwards the counters, the dogs' schedules
and the roster must be exactly what the surviving bookings imply.

Every race runs twice: on moto's server as it is, and behind the fault layer with 30 % of
transactions cancelled for ``TransactionConflict`` and half of the batch reads partial, as
real DynamoDB does under contention. The outcomes are the same; the only extra one allowed is
a rare ``StorageUnavailable`` (all retries spent), which wrote nothing: the counts below
treat such a caller as one who never came.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from dogcare.commands import UpdateBooking
from dogcare.domain.actor import Actor
from dogcare.domain.model import Booking
from dogcare.errors import (
    CapacityFull,
    ConcurrentUpdate,
    DogcareError,
    InvalidTransition,
    OverlappingBooking,
    StorageUnavailable,
    VersionMismatch,
)
from dogcare.facade import Dogcare
from dogcare.local.gateway import LocalGateway
from dogcare.testing.factories import actor_of
from tests.faults import CONFLICT, PARTIAL, FaultProxy
from tests.reliability.conftest import AppFactory, at, book, check_invariants, daycare, of_type, owner_with_dog
from tests.reliability.faults import no_backoff

STAFF = Actor.staff("staff-1")

pytestmark = pytest.mark.server

T = TypeVar("T")
FAULT_RATES = {"TransactWriteItems": {CONFLICT: 0.3}, "BatchGetItem": {PARTIAL: 0.5}}
UNAVAILABLE = "StorageUnavailable"


@pytest.fixture(params=["moto", "faults"])
def make_app(
    request: pytest.FixtureRequest,
    make_app: AppFactory,
    fault_proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AppFactory]:
    """The conftest's ``make_app``, on moto's server directly or behind the fault layer (with
    botocore's own pauses skipped: a throttled retry waits up to a second; the library's
    backoff is the real one)."""
    if request.param == "moto":
        yield make_app
        return
    no_backoff(monkeypatch, library=False)
    fault_proxy.configure(seed=7, rates=FAULT_RATES)

    def behind_faults(layout: str = "single", **overrides: Any) -> Dogcare:
        return make_app(layout, dynamodb_endpoint=fault_proxy.endpoint, **overrides)

    RACED.clear()
    CURRENT.update(node=request.node, proxy=fault_proxy)
    try:
        yield behind_faults
    finally:
        CURRENT.clear()
        fault_proxy.off()


RACED: Counter[str] = Counter()
CURRENT: dict[str, Any] = {}  # the running test behind the fault layer, and the layer


def _measure() -> None:
    """(Re)write the running test's ``measured`` property: printed in the summary (see
    ``pytest_terminal_summary``), which reads the properties of the call phase."""
    node, proxy = CURRENT["node"], CURRENT["proxy"]
    line = (
        f"{node.name}: {RACED['operations']} raced operations under faults, {RACED[UNAVAILABLE]} answered 503; "
        f"{proxy.total_injected(CONFLICT)} conflicts and {proxy.total_injected(PARTIAL)} partial reads injected"
    )
    node.user_properties[:] = [p for p in node.user_properties if p[0] != "measured"] + [("measured", line)]


def race(apps: list[Dogcare], action: Callable[[int, Dogcare], T]) -> list[T | DogcareError]:
    """Run ``action(i, apps[i])`` on one thread per app, all released at once; results in order.

    A domain error is a result (the loser of a race gets one); anything else fails the test."""
    for app in apps:
        app.store.client  # noqa: B018 - build each client before the start, not during the race
    barrier = threading.Barrier(len(apps))

    def run(i: int) -> T | DogcareError:
        barrier.wait()
        try:
            return action(i, apps[i])
        except DogcareError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        return list(pool.map(run, range(len(apps))))


def kinds(results: list[Any]) -> Counter[str]:
    counts = Counter("ok" if not isinstance(r, DogcareError) else type(r).__name__ for r in results)
    RACED["operations"] += len(results)
    RACED[UNAVAILABLE] += counts[UNAVAILABLE]
    if CURRENT:
        _measure()
    return counts


@pytest.mark.parametrize("layout", ["single", "four"])
def test_the_last_places_of_a_day_go_to_exactly_as_many_callers(make_app: AppFactory, layout: str) -> None:
    capacity, taken, callers = 6, 3, 12
    app = make_app(layout)
    app.staff.set_capacity(STAFF, "daycare", capacity)
    for i in range(taken):
        owner, dog = owner_with_dog(app, f"early-{i}")
        book(app, owner, daycare(dog, 5))
    contenders = [owner_with_dog(app, f"late-{i}") for i in range(callers)]

    results = race(
        [make_app(layout) for _ in range(callers)],
        lambda i, a: book(a, contenders[i][0], daycare(contenders[i][1], 5)),
    )

    counts = kinds(results)
    gone = counts.pop(UNAVAILABLE, 0)
    won = min(capacity - taken, callers - gone)
    assert counts == {"ok": won, "CapacityFull": callers - gone - won}, counts
    assert app.booking_repository.capacity_used("daycare", at(5, 9).date()) == taken + won
    items = check_invariants(app)
    winners = {r.id for r in results if isinstance(r, Booking)}
    stored = {b["id"] for b in of_type(items, "booking")}
    assert winners <= stored and len(stored) == taken + won
    roster = app.staff.roster(STAFF, at(5, 9).date(), "daycare", 100, None).items
    assert len(roster) == taken + won


def test_one_dog_booked_for_overlapping_times_at_once_gets_at_most_one_booking(make_app: AppFactory) -> None:
    app = make_app()
    owner, dog = owner_with_dog(app, "owner-overlap")
    # Eight requests for the same dog on the same day, every pair overlapping (all cover 12:00-13:00).
    windows = [(9 + i % 3, 13 + i % 4) for i in range(8)]

    results = race(
        [make_app() for _ in windows],
        lambda i, a: book(a, owner, daycare(dog, 6, *windows[i])),
    )

    counts = kinds(results)
    assert counts["ok"] == min(1, len(windows) - counts[UNAVAILABLE]), counts
    assert set(counts) <= {"ok", "OverlappingBooking", "ConcurrentUpdate", UNAVAILABLE}, counts
    items = check_invariants(app)
    assert len(of_type(items, "booking")) == 1
    schedule = app.dog_repository.schedule(dog.id)
    assert list(schedule.intervals) == [next(r.id for r in results if isinstance(r, Booking))]


def test_one_dog_booked_for_separate_times_at_once_loses_no_booking(make_app: AppFactory) -> None:
    """Disjoint stays of one dog all contend for its schedule item: each either lands or is told
    to retry (409), and every booking that was confirmed to its caller is stored and guarded."""
    app = make_app()
    owner, dog = owner_with_dog(app, "owner-disjoint")
    days = [5, 6, 7, 8, 11, 12]

    results = race([make_app() for _ in days], lambda i, a: book(a, owner, daycare(dog, days[i])))

    counts = kinds(results)
    assert set(counts) <= {"ok", "ConcurrentUpdate", UNAVAILABLE}, counts
    assert counts["ok"] >= 1
    items = check_invariants(app)
    assert {b["id"] for b in of_type(items, "booking")} == {r.id for r in results if isinstance(r, Booking)}
    assert set(app.dog_repository.schedule(dog.id).intervals) == {r.id for r in results if isinstance(r, Booking)}


@pytest.mark.parametrize("change", ["instructions", "times"])
def test_concurrent_updates_of_one_booking_with_if_match_have_one_winner(make_app: AppFactory, change: str) -> None:
    app = make_app()
    owner, dog = owner_with_dog(app, f"owner-update-{change}")
    booking = book(app, owner, daycare(dog, 5))
    callers = 8

    def update(i: int, a: Dogcare) -> Booking:
        if change == "instructions":
            command = UpdateBooking(special_instructions=f"note from caller {i}")
        else:
            command = UpdateBooking(start_time=at(5 + i, 9), end_time=at(5 + i, 17))
        return a.bookings.update(actor_of(owner), booking.id, command, expected_version=booking.version)

    results = race([make_app() for _ in range(callers)], update)

    counts = kinds(results)
    assert counts["ok"] == 1, counts  # (a 503 for all eight would be 0.3**5 to the eighth power)
    assert set(counts) <= {"ok", "VersionMismatch", UNAVAILABLE}, counts
    winner = next(r for r in results if isinstance(r, Booking))
    stored = app.bookings.get(actor_of(owner), booking.id)
    assert stored.version == booking.version + 1  # exactly one write landed...
    assert (stored.special_instructions, stored.start_time) == (winner.special_instructions, winner.start_time)
    check_invariants(app)  # ...and the schedule, counters and roster moved with it


def test_concurrent_updates_without_if_match_lose_no_update(make_app: AppFactory) -> None:
    """Without If-Match every read-modify-write is still version-checked: a caller whose read went
    stale gets a 412 instead of overwriting the other's change."""
    app = make_app()
    owner, dog = owner_with_dog(app, "owner-blind")
    booking = book(app, owner, daycare(dog, 5))
    callers = 6

    results = race(
        [make_app() for _ in range(callers)],
        lambda i, a: a.bookings.update(actor_of(owner), booking.id, UpdateBooking(special_instructions=f"note {i}")),
    )

    winners = [r for r in results if isinstance(r, Booking)]
    assert set(kinds(results)) <= {"ok", "VersionMismatch", UNAVAILABLE}
    stored = app.bookings.get(actor_of(owner), booking.id)
    assert stored.version == booking.version + len(winners)
    assert stored.special_instructions in {w.special_instructions for w in winners}
    check_invariants(app)


def test_cancelling_one_booking_at_once_releases_its_place_once(make_app: AppFactory) -> None:
    app = make_app()
    owner, dog = owner_with_dog(app, "owner-cancel")
    other_owner, other_dog = owner_with_dog(app, "owner-stays")
    booking = book(app, owner, daycare(dog, 5))
    book(app, other_owner, daycare(other_dog, 5))

    results = race([make_app() for _ in range(8)], lambda i, a: a.bookings.cancel(actor_of(owner), booking.id))

    counts = kinds(results)
    assert counts["ok"] == 1, counts
    assert set(counts) <= {"ok", "InvalidTransition", UNAVAILABLE}, counts
    assert app.booking_repository.capacity_used("daycare", at(5, 9).date()) == 1
    assert app.booking_repository.pending_count(owner.id) == 0
    check_invariants(app)


def test_cancel_racing_an_update_leaves_a_consistent_booking(make_app: AppFactory) -> None:
    app = make_app()
    owner, dog = owner_with_dog(app, "owner-cancel-update")
    booking = book(app, owner, daycare(dog, 5))

    def act(i: int, a: Dogcare) -> Booking:
        if i % 2:
            return a.bookings.cancel(actor_of(owner), booking.id)
        return a.bookings.update(actor_of(owner), booking.id, UpdateBooking(start_time=at(6, 9), end_time=at(6, 17)))

    results = race([make_app() for _ in range(6)], act)

    expected = (
        Booking,
        CapacityFull,
        ConcurrentUpdate,
        InvalidTransition,
        OverlappingBooking,
        VersionMismatch,
        StorageUnavailable,
    )
    kinds(results)
    assert all(isinstance(r, expected) for r in results), results
    stored = app.bookings.get(actor_of(owner), booking.id)
    cancels = [r for i, r in enumerate(results) if i % 2 and isinstance(r, Booking)]
    assert stored.status == ("cancelled" if cancels else "pending")
    assert len(cancels) <= 1
    check_invariants(app)


def test_concurrent_requests_in_local_mode_each_keep_their_own_caller(
    monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str, tmp_path: Path
) -> None:
    """The local gateway runs functions' "containers" on threads of one process. Powertools keeps
    the event being handled in a class attribute shared by every resolver of the process, so two
    requests in flight at once could each read the other's event, and act as the other caller.
    Both requests are held right after their resolver took the event, then released together."""
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    from tests.reliability.api import configure, reset_runtime

    api = configure(monkeypatch, dynamodb_endpoint, f"callers-{uuid.uuid4().hex[:10]}", tmp_path)
    try:
        api.gateway = LocalGateway(containers_per_function=2)
        for sub in ("caller-a", "caller-b"):
            assert api.register(sub).status == 201
        both_resolving = threading.Barrier(2, timeout=10)
        resolve = ApiGatewayResolver._resolve

        def held(self: Any) -> Any:
            both_resolving.wait()
            return resolve(self)

        monkeypatch.setattr(ApiGatewayResolver, "_resolve", held)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda sub: api.ok(sub, "GET", "/owners/profile"), ["caller-a", "caller-b"]))
        assert [a["name"] for a in answers] == ["caller-a", "caller-b"]
    finally:
        reset_runtime()
