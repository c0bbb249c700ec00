"""A Hypothesis state machine over the whole booking life, on moto (``mock_aws``).

Owners register and add dogs, book, reschedule, annotate and cancel; staff check dogs in and
out; owners pay, cards succeed or are declined, and the provider's webhooks arrive late,
twice, or out of order; time moves on. A small reference model predicts every booking
outcome (overlap, capacity, the unpaid-bookings cap, the lifecycle) and after every step
the stored data is checked against what the bookings imply:

* bookings per day and service never exceed the capacity; a dog is never in two places;
* capacity counters, pending counters, the dogs' schedules and the roster equal what the
  active bookings imply (recomputed from a Scan, in the test);
* one payment record per booking, at most one live PaymentIntent (and one charge) per
  booking at the provider, refunds never above what was paid, and every confirmed (or
  later) booking paid by a succeeded intent.

Capacity and the unpaid-bookings cap are tiny, so the edges are hit often; the example
and step counts are bounded for CI.

The same machine also runs on moto's server behind the fault layer (``tests.faults``), with
30 % of transactions cancelled for ``TransactionConflict`` and half of the batch reads
partial: the predictions must still come true (a conflict is never a caller's error), a
rare 503 (``StorageUnavailable``: all retries spent) must have changed nothing, and every
invariant holds after every step.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from dogcare.commands import NewBooking, NewDog, NewPayment, RegisterOwner, UpdateBooking, VaccinationInput
from dogcare.domain.actor import PAYMENT_PROVIDER, Actor
from dogcare.domain.scheduling import overlaps, stay
from dogcare.errors import (
    BookingNotPayable,
    CapacityFull,
    DogcareError,
    LimitReached,
    OverlappingBooking,
    PaymentProviderError,
    StorageUnavailable,
    ValidationFailed,
)
from dogcare.facade import Dogcare
from dogcare.maintenance.reconcile import reconcile
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables
from dogcare.testing.factories import actor_of, register_owner
from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from tests.conftest import Clock, make_settings
from tests.faults import CONFLICT, PARTIAL, FaultProxy
from tests.reliability.faults import no_backoff
from tests.reliability.invariants import Rules, scan_all, violations

STAFF = Actor.staff("staff-1")

CAPACITY = 2
MAX_PENDING = 3
ACTIVE = ("pending", "confirmed", "checked_in")
PAID_BOOKING = ("confirmed", "checked_in", "completed")
SLOTS = {  # service -> (start offset, end offset) pairs in hours from a day's midnight
    "daycare": [(9, 12), (11, 15), (14, 18)],
    "parking": [(8, 10), (9, 11)],
    "boarding": [(10, 24 + 10), (12, 48 + 12)],
}


@dataclass
class Expected:
    """The reference model's view of one booking."""

    id: str
    owner_id: str
    dog_id: str
    service: str
    start: datetime
    end: datetime
    status: str = "pending"
    paying: bool = False  # a payment was started: the times are fixed from then on


def _error_name(error: BaseException | None) -> str:
    return "ok" if error is None else type(error).__name__


T = TypeVar("T")
UNDER_FAULTS: Counter[str] = Counter()  # what the runs behind the fault layer did, for the summary


class BookingLife(RuleBasedStateMachine):
    layout = "single"
    home = Path("/nonexistent")  # replaced per test; nothing is written there (cursor secret is set)
    endpoint: str | None = None  # moto's server behind the fault layer; None: in-process moto
    faulty = False

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.stripe = InMemoryPaymentGateway()
        app_settings = make_settings(
            self.layout,
            self.home,
            table_prefix=f"sm-{uuid.uuid4().hex[:10]}",
            default_daily_capacity=CAPACITY,
            max_pending_bookings=MAX_PENDING,
            **({"dynamodb_endpoint": self.endpoint} if self.endpoint else {}),
        )
        store = Store(app_settings)
        store.connection._local.session = _session()
        self.app = Dogcare(app_settings, store, self.clock, payment_gateway=self.stripe)
        create_tables(store)
        self.owners: dict[str, str] = {}  # subject -> owner id
        self.bookings: dict[str, Expected] = {}
        self.outcomes: Counter[str] = Counter()

    owners_bundle = Bundle("owners")
    dogs = Bundle("dogs")
    booked = Bundle("bookings")

    # --- model helpers -------------------------------------------------------------------

    def _times(self, service: str, day_offset: int, slot: int) -> tuple[datetime, datetime]:
        base = datetime.combine(self.clock().date() + timedelta(days=day_offset), datetime.min.time(), UTC)
        start_h, end_h = SLOTS[service][slot % len(SLOTS[service])]
        return base + timedelta(hours=start_h), base + timedelta(hours=end_h)

    def _active(self) -> list[Expected]:
        return [b for b in self.bookings.values() if b.status in ACTIVE]

    def _capacity_full(self, service: str, days: tuple[date, ...], ignore: str | None = None) -> bool:
        holding = [b for b in self.bookings.values() if b.status != "cancelled"]  # completed stays too
        for day in days:
            used = sum(
                1
                for b in holding
                if b.service == service
                and b.id != ignore
                and day in stay(b.service, b.start, b.end, "UTC").capacity_days
            )
            if used >= CAPACITY:
                return True
        return False

    def _overlapping(self, dog_id: str, start: datetime, end: datetime, ignore: str | None = None) -> bool:
        return any(
            b.dog_id == dog_id and b.id != ignore and overlaps(start, end, b.start, b.end) for b in self._active()
        )

    def _retried(self, call: Callable[[], T]) -> T:
        """A setup call made again after a 503, as a client would (under faults only)."""
        for _ in range(5):
            try:
                return call()
            except StorageUnavailable:
                assert self.faulty, "a 503 without injected faults"
                UNDER_FAULTS["503"] += 1
        return call()

    def _expect(self, name: str, error: BaseException | None, *allowed: str) -> None:
        self.outcomes[name + ":" + _error_name(error)] += 1
        if self.faulty:
            UNDER_FAULTS["operations"] += 1
        if isinstance(error, StorageUnavailable):
            # All retries spent on conflicts or unread keys: nothing was written, so the model
            # stays as it is (the invariants check the data agrees).
            assert self.faulty, f"{name}: a 503 without injected faults ({error})"
            UNDER_FAULTS["503"] += 1
            return
        event(f"{name}: {_error_name(error)}")  # shown by --hypothesis-show-statistics
        assert _error_name(error) in allowed, f"{name}: got {_error_name(error)} ({error}), expected one of {allowed}"

    # --- owners and dogs -----------------------------------------------------------------

    @initialize(target=dogs)
    def first_owners_and_dogs(self) -> MultipleResults[tuple[str, str]]:
        """Two owners with a vaccinated dog each and one with two dogs: bookings can start at once."""
        found = []
        for subject, n in (("owner-0", 1), ("owner-1", 2)):
            owner_id = self._register(subject)
            for _ in range(n):
                found.append((owner_id, self._add_dog(owner_id, True, "large")))
        return multiple(*found)

    def _register(self, subject: str) -> str:
        owner = self._retried(lambda: register_owner(self.app, subject, name="Owner"))
        self.owners[subject] = owner.id
        return owner.id

    @initialize(target=booked)
    def a_paid_and_an_unpaid_booking(self) -> MultipleResults[str]:
        """A regular customer with a confirmed (paid, notified) booking and one being paid for,
        so that every run has money in play from the start."""
        owner_id = self._register("owner-9")
        dog_id = self._add_dog(owner_id, True, "medium")
        found = []
        for day, card in ((2, "works, notified"), (3, "not yet")):
            start, end = self._times("daycare", day, 0)
            command = NewBooking(dog_id=dog_id, service_type="daycare", start_time=start, end_time=end)
            booking = self._retried(lambda: self.app.bookings.create(actor_of(owner_id), command))  # noqa: B023 - called at once
            self.bookings[booking.id] = Expected(booking.id, owner_id, dog_id, "daycare", start, end)
            self._pay(self.bookings[booking.id], card)
            found.append(booking.id)
        assert self.bookings[found[0]].status == "confirmed"
        return multiple(*found)

    @precondition(lambda self: len(self.owners) < 4)
    @rule(target=owners_bundle)
    def register(self) -> str:
        subject = f"owner-{len(self.owners)}"
        try:  # an existing owner cannot register again
            self.app.owners.register(Actor("owner-0"), RegisterOwner(name="Again"), f"x-{subject}@example.com")
            error: BaseException | None = None
        except DogcareError as exc:
            error = exc
        self._expect("register-again", error, "AlreadyRegistered")
        return self._register(subject)

    @rule(
        target=dogs,
        owner_id=owners_bundle,
        vaccinated=st.sampled_from([True, True, False]),
        size=st.sampled_from(["small", "giant"]),
    )
    def add_dog(self, owner_id: str, vaccinated: bool, size: str) -> tuple[str, str]:
        return owner_id, self._add_dog(owner_id, vaccinated, size)

    def _add_dog(self, owner_id: str, vaccinated: bool, size: str) -> str:
        """A dog; an unvaccinated one's vaccinations lapse tomorrow, so it can never be booked."""
        until = date(2031, 12, 31) if vaccinated else self.clock().date() + timedelta(days=1)
        vaccinations = [VaccinationInput(name=n, expires_on=until) for n in ("rabies", "dhpp", "bordetella")]
        command = NewDog(name="Rex", size=size, vaccinations=vaccinations)  # type: ignore[arg-type]
        return self._retried(lambda: self.app.dogs.add(actor_of(owner_id), command)).id

    # --- bookings ------------------------------------------------------------------------

    @rule(
        target=booked, dog=dogs, service=st.sampled_from(sorted(SLOTS)), day=st.integers(1, 3), slot=st.integers(0, 2)
    )
    def book(self, dog: tuple[str, str], service: str, day: int, slot: int) -> MultipleResults[str]:
        owner_id, dog_id = dog
        start, end = self._times(service, day, slot)
        span = stay(service, start, end, "UTC")
        dog_item = self.app.dog_repository.get(owner_id, dog_id)
        lapsed = any(v.expires_on < end.date() for v in dog_item.vaccinations)
        pending = sum(1 for b in self.bookings.values() if b.owner_id == owner_id and b.status == "pending")
        if lapsed:
            expected = "ValidationFailed"
        elif self._overlapping(dog_id, start, end):
            expected = "OverlappingBooking"
        elif self._capacity_full(service, span.capacity_days):
            expected = "CapacityFull"
        elif pending >= MAX_PENDING:
            expected = "LimitReached"
        else:
            expected = "ok"
        command = NewBooking(dog_id=dog_id, service_type=service, start_time=start, end_time=end)  # type: ignore[arg-type]
        try:
            booking = self.app.bookings.create(actor_of(owner_id), command)
        except (ValidationFailed, OverlappingBooking, CapacityFull, LimitReached, StorageUnavailable) as exc:
            self._expect("book", exc, expected)
            return multiple()
        self._expect("book", None, expected)
        self.bookings[booking.id] = Expected(booking.id, owner_id, dog_id, service, start, end)
        return multiple(booking.id)

    @rule(booking_id=booked, day=st.integers(1, 3), slot=st.integers(0, 2))
    def reschedule(self, booking_id: str, day: int, slot: int) -> None:
        b = self.bookings.get(booking_id)
        if b is None:
            return
        start, end = self._times(b.service, day, slot)
        old_days = stay(b.service, b.start, b.end, "UTC").capacity_days
        added = tuple(d for d in stay(b.service, start, end, "UTC").capacity_days if d not in old_days)
        dog = self.app.dog_repository.get(b.owner_id, b.dog_id)
        if b.status != "pending" or b.paying:
            expected = "InvalidTransition"
        elif (
            b.start <= self.clock() or start < self.clock() or any(v.expires_on < end.date() for v in dog.vaccinations)
        ):
            expected = "ValidationFailed"
        elif self._overlapping(b.dog_id, start, end, ignore=b.id):
            expected = "OverlappingBooking"
        elif self._capacity_full(b.service, added, ignore=b.id):
            expected = "CapacityFull"
        else:
            expected = "ok"
        try:
            self.app.bookings.update(actor_of(b.owner_id), b.id, UpdateBooking(start_time=start, end_time=end))
            error: BaseException | None = None
        except DogcareError as exc:
            error = exc
        if expected == "ValidationFailed" and b.start <= self.clock() and start >= self.clock():
            # A stay that has begun may still be moved wholly into the future while pending.
            allowed = ("ValidationFailed", "ok", "OverlappingBooking", "CapacityFull")
        else:
            allowed = (expected,)
        self._expect("reschedule", error, *allowed)
        if error is None:
            b.start, b.end = start, end

    @rule(booking_id=booked, text=st.sampled_from(["leash in bag", None]))
    def annotate(self, booking_id: str, text: str | None) -> None:
        b = self.bookings.get(booking_id)
        if b is None:
            return
        try:
            self.app.bookings.update(actor_of(b.owner_id), b.id, UpdateBooking(special_instructions=text))
            error: BaseException | None = None
        except DogcareError as exc:
            error = exc
        self._expect("annotate", error, "ok" if b.status in ("pending", "confirmed") else "InvalidTransition")

    @rule(booking_id=booked)
    def cancel(self, booking_id: str) -> None:
        b = self.bookings.get(booking_id)
        if b is None:
            return
        try:
            self.app.bookings.cancel(actor_of(b.owner_id), b.id)
            error: BaseException | None = None
        except DogcareError as exc:
            error = exc
        allowed = ("ok",) if b.status in ("pending", "confirmed", "cancelled") else ("InvalidTransition",)
        if b.status == "cancelled":
            allowed = ("ok", "InvalidTransition")  # a repeated cancel settles what is left, or refuses
        self._expect("cancel", error, *allowed)
        if error is None:
            b.status = "cancelled"

    @rule(booking_id=booked, target_status=st.sampled_from(["checked_in", "completed"]))
    def staff_moves(self, booking_id: str, target_status: str) -> None:
        b = self.bookings.get(booking_id)
        if b is None:
            return
        source = "confirmed" if target_status == "checked_in" else "checked_in"
        try:
            if target_status == "checked_in":
                self.app.staff.check_in(STAFF, b.id)
            else:
                self.app.staff.check_out(STAFF, b.id)
            error: BaseException | None = None
        except DogcareError as exc:
            error = exc
        self._expect(target_status, error, "ok" if b.status == source else "InvalidTransition")
        if error is None:
            b.status = target_status

    # --- payments ------------------------------------------------------------------------

    @rule(booking_id=booked, card=st.sampled_from(["not yet", "works", "works, notified", "declined, notified"]))
    def pay(self, booking_id: str, card: str) -> None:
        """The owner starts paying (again); at the card form they pay, fail, or leave; the
        provider's webhook about it may come at once (later deliveries are other rules)."""
        b = self.bookings.get(booking_id)
        if b is not None:
            self._pay(b, card)

    def _pay(self, b: Expected, card: str) -> None:
        payable = b.status == "pending" and b.start > self.clock()
        try:
            payment = self.app.payments.create(actor_of(b.owner_id), NewPayment(booking_id=b.id))
            error: BaseException | None = None
        except DogcareError as exc:
            error = exc
        if isinstance(error, StorageUnavailable):
            self._expect("pay", error)
            return
        if not payable:
            assert isinstance(error, BookingNotPayable), f"pay: {error!r} for a {b.status} booking"
            self.outcomes["pay:" + _error_name(error)] += 1
            return
        self._expect("pay", error, "ok")
        assert payment.client_secret and payment.provider_reference
        b.paying = True
        intent_id = payment.provider_reference
        if card == "not yet" or self.stripe.intents[intent_id]["status"] != "requires_payment_method":
            return
        (self.stripe.succeed if card.startswith("works") else self.stripe.decline)(intent_id)
        if card.endswith("notified"):
            self._deliver(self.stripe.events[-1])
            self._sync_from_webhooks()

    @rule(data=st.data(), succeeds=st.sampled_from([True, True, False]))
    def customer_at_the_card(self, data: st.DataObject, succeeds: bool) -> None:
        """The customer confirms an open intent (one that was handed out); the card works or not."""
        intents = sorted(i for i, v in self.stripe.intents.items() if v["status"] == "requires_payment_method")
        if not intents:
            return
        intent_id = data.draw(st.sampled_from(intents))
        try:
            if succeeds:
                self.stripe.succeed(intent_id)
            else:
                self.stripe.decline(intent_id)
        except PaymentProviderError:
            pass  # not confirmable any more (cancelled or already paid)

    @rule(data=st.data())
    def webhook_arrives(self, data: st.DataObject) -> None:
        """Any recorded event, in any order, any number of times."""
        events = self.stripe.events
        if not events:
            return
        self._deliver(data.draw(st.sampled_from(events)))
        self._sync_from_webhooks()

    def _deliver(self, event_: dict[str, Any]) -> None:
        body, signature = self.stripe.signed_event(event_)
        # A 503 to the provider: it delivers the event again later (here: at once).
        outcome = self._retried(lambda: self.app.payments.handle_webhook(PAYMENT_PROVIDER, body, signature))
        self.outcomes[f"webhook:{outcome}"] += 1
        event(f"webhook {event_['type']}: {outcome}")

    @rule(reverse=st.booleans())
    def every_webhook_arrives(self, reverse: bool) -> None:
        """The provider (re)delivers everything it sent so far, oldest or newest first."""
        events = self.stripe.events
        for event_ in reversed(events) if reverse else events:
            self._deliver(event_)
        self._sync_from_webhooks()

    def _sync_from_webhooks(self) -> None:
        """A webhook may confirm a pending booking (and nothing else): follow it in the model."""
        for b in self.bookings.values():
            stored = self.app.booking_repository.get(b.id).status
            if stored != b.status:
                assert (b.status, stored) == ("pending", "confirmed"), f"{b.id}: {b.status} -> {stored} by a webhook"
                b.status = stored

    @rule(hours=st.sampled_from([5, 24]))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def stored_data_is_consistent(self) -> None:
        store = self.app.store
        items = scan_all(store.client, sorted(store.layout.tables()))
        problems = violations(items, self.clock(), Rules(default_capacity=CAPACITY))
        assert not problems, "\n".join(problems)
        stored = {i["id"]: i["status"] for i in items if i.get("entity_type") == "booking"}
        assert stored == {b.id: b.status for b in self.bookings.values()}

    @invariant()
    def the_provider_agrees(self) -> None:
        intents = self.stripe.intents
        per_booking: dict[str, list[dict[str, Any]]] = {}
        for intent_id, intent in intents.items():
            intent["refunded"] = self.stripe.amount_refunded(intent_id)
            per_booking.setdefault(intent["metadata"]["booking_id"], []).append(intent)
            assert 0 <= intent["refunded"] <= intent["amount_received"] <= intent["amount"], intent
        for booking_id, found in per_booking.items():
            live = [i for i in found if i["status"] != "canceled"]
            assert len(live) <= 1, f"booking {booking_id} has {len(live)} live PaymentIntents"
            assert sum(1 for i in found if i["status"] == "succeeded") <= 1, f"booking {booking_id} charged twice"
        for b in self.bookings.values():
            if b.status in PAID_BOOKING:
                assert any(i["status"] == "succeeded" for i in per_booking.get(b.id, [])), f"{b.id} unpaid"
        # Our records never claim a refund the provider did not make.
        for payment in self._payments():
            intent = intents.get(payment.provider_reference or "")
            provider_refunded = self.stripe.amount_refunded(intent["id"]) if intent else 0
            assert payment.amount_refunded <= provider_refunded, (payment, provider_refunded)

    def _payments(self) -> list[Any]:
        found = []
        for b in self.bookings.values():
            booking = self.app.booking_repository.get(b.id)
            if booking.payment_id:
                found.append(self.app.payment_repository.get(booking.payment_id))
        return found

    def teardown(self) -> None:
        assert self.outcomes is not None
        # The operators' check agrees with the invariants: whatever the faults did, nothing
        # is left for ``dogcare reconcile`` to repair.
        report = reconcile(self.app, now=self.clock())
        assert report.drift == [], report.drift


_SESSIONS: list[Any] = []


def _session() -> Any:
    if not _SESSIONS:
        from botocore.session import get_session

        _SESSIONS.append(get_session())
    return _SESSIONS[0]


# Bounded for CI. Shrinking is off by default (every step is a few DynamoDB calls, so shrinking
# a long failing run can take minutes): a failure prints its full list of steps. Set
# DOGCARE_SHRINK=1 to have Hypothesis shrink it, and raise the counts to explore further.
BOUNDS = settings(
    max_examples=int(os.environ.get("DOGCARE_STATEFUL_EXAMPLES", "10")),
    stateful_step_count=int(os.environ.get("DOGCARE_STATEFUL_STEPS", "30")),
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, *([Phase.shrink] if os.environ.get("DOGCARE_SHRINK") else [])],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize(("layout", "share"), [("single", 1.0), ("four", 0.5)])
def test_the_booking_life_keeps_every_invariant(moto: None, tmp_path: Path, layout: str, share: float) -> None:
    machine = type(f"BookingLife_{layout}", (BookingLife,), {"layout": layout, "home": tmp_path})
    machine.TestCase.settings = settings(BOUNDS, max_examples=max(1, round(BOUNDS.max_examples * share)))
    machine.TestCase().runTest()


@pytest.mark.server
def test_the_booking_life_keeps_every_invariant_under_dynamodb_faults(
    faults: FaultProxy, tmp_path: Path, record_property: Callable[[str, object], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """30 % of transactions conflicting, half of the batch reads partial: same predictions.

    botocore's own pauses are skipped (a throttled retry waits up to a second); the library's
    backoff is the real one."""
    no_backoff(monkeypatch, library=False)
    faults.configure(seed=2026, rates={"TransactWriteItems": {CONFLICT: 0.3}, "BatchGetItem": {PARTIAL: 0.5}})
    attrs = {"layout": "single", "home": tmp_path, "endpoint": faults.endpoint, "faulty": True}
    machine = type("BookingLife_faults", (BookingLife,), attrs)
    examples = int(os.environ.get("DOGCARE_STATEFUL_FAULT_EXAMPLES", "8"))
    machine.TestCase.settings = settings(BOUNDS, max_examples=examples)
    UNDER_FAULTS.clear()
    machine.TestCase().runTest()
    injected = faults.total_injected()
    record_property(
        "measured",
        f"state machine under faults: {UNDER_FAULTS['operations']} operations, {UNDER_FAULTS['503']} answered 503, "
        f"{sum(faults.requests.values())} DynamoDB requests, {injected} faults injected "
        f"({faults.total_injected(CONFLICT)} conflicts, {faults.total_injected(PARTIAL)} partial batch reads)",
    )
    assert faults.total_injected(CONFLICT) > 10 and faults.total_injected(PARTIAL) > 5, faults.injected
    assert UNDER_FAULTS["503"] <= max(2, UNDER_FAULTS["operations"] // 50), UNDER_FAULTS
