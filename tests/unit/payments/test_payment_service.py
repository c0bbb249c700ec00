"""The payment service on moto (both table layouts) with the in-memory payment gateway.

Never a double charge (one intent per booking, whatever the retries), never a lost
payment (every verified event is applied exactly once, in any order), and cancellations
settle the money per the refund policy, even when the provider was down the first time.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dogcare.commands import NewPayment, UpdateBooking
from dogcare.domain.actor import PAYMENT_PROVIDER
from dogcare.domain.model import Booking, Payment
from dogcare.domain.money import Money
from dogcare.errors import (
    BookingAlreadyPaid,
    BookingCancelled,
    BookingNotPayable,
    Conflict,
    InvalidTransition,
    InvalidWebhook,
    NotFound,
    PaymentProviderUnavailable,
)
from dogcare.facade import Dogcare
from dogcare.payments.gateway import (
    EVENT_CHARGE_REFUNDED,
    EVENT_INTENT_CANCELED,
    EVENT_INTENT_FAILED,
    EVENT_INTENT_SUCCEEDED,
)
from dogcare.services.payments import RefundPolicy, intent_key, refund_key, refund_status
from dogcare.settings import Settings
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables
from dogcare.testing import factories
from dogcare.testing.factories import actor_of, deliver, last_event
from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from tests.conftest import Clock, make_settings

from .support import Customer, at, book, customer, empty_tables, event_outcome, snapshot

PRICE = 4500  # a large dog's day of daycare, in cents


@pytest.fixture(scope="module", params=["single", "four"])
def tables(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Store]]:
    """The moto tables of one layout, made once for this module and emptied after every test."""
    from moto import mock_aws

    with mock_aws():
        settings = make_settings(str(request.param), tmp_path_factory.mktemp("payments"))
        store = Store(settings)
        create_tables(store)
        yield settings, store


@pytest.fixture
def gw() -> InMemoryPaymentGateway:
    return InMemoryPaymentGateway()


@pytest.fixture
def app(tables: tuple[Settings, Store], clock: Clock, gw: InMemoryPaymentGateway) -> Iterator[Dogcare]:
    settings, store = tables
    yield Dogcare(settings, store, clock, payment_gateway=gw)
    empty_tables(store)


@pytest.fixture
def serialised_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """One mocked AWS call at a time, as the real service is atomic per request.

    moto's in-process backend is not thread-safe; requests from several threads still
    interleave between calls, which is where the races under test live.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_request)


@pytest.fixture
def ana(app: Dogcare) -> Customer:
    return customer(app)


def pay(app: Dogcare, who: Customer, booking: Booking) -> Payment:
    return factories.start_payment(app, who.owner, booking)


def paid_booking(app: Dogcare, gw: InMemoryPaymentGateway, who: Customer, **kwargs: Any) -> tuple[Booking, Payment]:
    paid = factories.pay(app, gw, who.owner, book(app, who, **kwargs))
    return paid.booking, paid.payment


def state(app: Dogcare, booking: Booking) -> tuple[str, str, int, str | None]:
    current = app.booking_repository.get(booking.id)
    assert current.payment_id is not None
    payment = app.payment_repository.get(current.payment_id)
    return current.status, payment.status, payment.amount_refunded, payment.provider_reference


# --- create --------------------------------------------------------------------------------


def test_create_reserves_a_payment_and_one_intent(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)

    assert payment.status == "requires_payment_method"
    assert payment.amount == booking.price == Money(PRICE, "USD")
    assert payment.provider == "stripe"
    assert payment.client_secret is not None
    assert payment.client_secret.startswith(f"{payment.provider_reference}_secret_")
    assert app.booking_repository.get(booking.id).payment_id == payment.id
    (intent,) = gw.intents.values()
    assert intent["id"] == payment.provider_reference
    assert intent["amount"] == PRICE
    assert intent["currency"] == "usd"
    assert intent["metadata"] == {"booking_id": booking.id, "owner_id": ana.id, "payment_id": payment.id}

    stored = app.payments.get(actor_of(ana), payment.id)
    assert stored.client_secret is None
    assert stored == payment  # the secret is not part of equality
    assert app.booking_repository.get(booking.id).status == "pending"


def test_other_owners_never_see_a_booking_or_payment(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    bob = customer(app, "Bob")
    booking = book(app, ana)
    with pytest.raises(NotFound):
        pay(app, bob, booking)
    assert gw.calls == []
    payment = pay(app, ana, booking)
    with pytest.raises(NotFound):
        app.payments.get(actor_of(bob), payment.id)
    with pytest.raises(NotFound):
        app.payments.create(actor_of(ana), NewPayment(booking_id="booking-00000000-0000-4000-8000-000000000000"))


def test_retries_return_the_same_payment_and_intent(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking = book(app, ana)
    first = pay(app, ana, booking)
    again = [pay(app, ana, booking) for _ in range(3)]
    assert {p.id for p in again} == {first.id}
    assert {p.provider_reference for p in again} == {first.provider_reference}
    assert {p.client_secret for p in again} == {first.client_secret}
    assert len(gw.intents) == 1
    assert gw.calls.count("create_intent") == 1  # resuming reads the intent, it never creates another


@pytest.mark.usefixtures("serialised_aws")
def test_concurrent_creates_converge_on_one_intent(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking = book(app, ana)
    barrier = threading.Barrier(8)
    results: list[Payment] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(pay(app, ana, booking))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len({p.id for p in results}) == 1
    assert len({p.provider_reference for p in results}) == 1
    assert len({p.client_secret for p in results}) == 1
    assert len(gw.intents) == 1
    assert app.booking_repository.get(booking.id).payment_id == results[0].id


def test_only_pending_bookings_can_be_paid(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    for status, error, kind in [
        ("cancelled", BookingCancelled, "booking-cancelled"),
        ("confirmed", BookingAlreadyPaid, "booking-already-paid"),
    ]:
        booking = book(app, ana, at(5 if status == "cancelled" else 6, 9))
        plan = app.bookings._plan(booking.service_type, booking.start_time, booking.end_time)
        app.booking_repository.transition(booking, status, plan, app.clock())
        with pytest.raises(error) as caught:
            pay(app, ana, booking)
        assert isinstance(caught.value, Conflict)
        assert caught.value.kind == kind
    assert gw.calls == []


def test_a_booking_that_has_started_cannot_be_paid(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock
) -> None:
    booking = book(app, ana)
    clock.now = booking.start_time + timedelta(minutes=1)
    with pytest.raises(BookingNotPayable):
        pay(app, ana, booking)
    assert gw.calls == []


def test_provider_down_answers_503_and_a_retry_makes_one_intent(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    gw.unavailable = True
    with pytest.raises(PaymentProviderUnavailable):
        pay(app, ana, booking)
    current = app.booking_repository.get(booking.id)
    assert current.status == "pending"
    assert current.payment_id is not None
    assert app.payment_repository.get(current.payment_id).status == "creating"
    assert gw.intents == {}

    gw.unavailable = False
    payment = pay(app, ana, booking)
    assert payment.id == current.payment_id
    assert payment.status == "requires_payment_method"
    assert len(gw.intents) == 1


def test_a_lost_create_response_is_resumed_with_the_same_key(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    """The intent was made but the answer never came back (or the process died): no second intent."""
    booking = book(app, ana)
    gw.lose_next_response()
    with pytest.raises(PaymentProviderUnavailable):
        pay(app, ana, booking)
    assert len(gw.intents) == 1
    payment = pay(app, ana, booking)
    assert list(gw.intents) == [payment.provider_reference]
    assert gw.calls.count("create_intent") == 2  # the retry replayed the first call's key


def test_decline_then_retry_on_the_same_intent(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    gw.decline(str(payment.provider_reference))
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_FAILED)) == "applied"

    failed = app.payments.get(actor_of(ana), payment.id)
    assert failed.status == "failed"
    assert failed.failure_reason is not None
    assert "card_declined" in failed.failure_reason
    assert app.booking_repository.get(booking.id).status == "pending"

    retry = pay(app, ana, booking)
    assert (retry.id, retry.provider_reference, retry.client_secret) == (
        payment.id,
        payment.provider_reference,
        payment.client_secret,
    )
    gw.succeed(str(payment.provider_reference))
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_SUCCEEDED)) == "applied"
    assert state(app, booking)[:2] == ("confirmed", "succeeded")
    assert app.payments.get(actor_of(ana), payment.id).failure_reason is None
    assert len(gw.intents) == 1


def test_an_intent_cancelled_at_the_provider_is_replaced(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    old = str(payment.provider_reference)
    gw.cancel_intent(old, idempotency_key="dashboard-cancel")  # e.g. from the provider's dashboard
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_CANCELED)) == "applied"
    assert app.payments.get(actor_of(ana), payment.id).status == "canceled"

    renewed = pay(app, ana, booking)
    assert renewed.id == payment.id
    assert renewed.provider_reference not in (None, old)
    assert renewed.status == "requires_payment_method"
    assert len(gw.intents) == 2
    assert gw.intents[old]["status"] == "canceled"
    assert pay(app, ana, booking).provider_reference == renewed.provider_reference
    # Paying the new intent confirms the booking.
    gw.succeed(str(renewed.provider_reference))
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_SUCCEEDED)) == "applied"
    assert state(app, booking)[:2] == ("confirmed", "succeeded")


def test_times_cannot_change_once_a_payment_has_started(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana, at(5, 9), at(5, 11), service="parking")
    payment = pay(app, ana, booking)
    assert payment.amount == Money(2000, "USD")
    before = snapshot(app)
    with pytest.raises(InvalidTransition):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(end_time=at(5, 13)))
    assert snapshot(app) == before
    again = pay(app, ana, booking)
    assert again.provider_reference == payment.provider_reference
    assert len(gw.intents) == 1


# --- webhooks --------------------------------------------------------------------------------


def test_success_confirms_the_booking_once(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking = book(app, ana)
    assert app.booking_repository.pending_count(ana.id) == 1
    payment = pay(app, ana, booking)
    gw.succeed(str(payment.provider_reference))
    event_id = last_event(gw, EVENT_INTENT_SUCCEEDED)

    assert deliver(app, gw, event_id) == "applied"
    assert state(app, booking) == ("confirmed", "succeeded", 0, payment.provider_reference)
    assert app.booking_repository.pending_count(ana.id) == 0
    before = snapshot(app)
    assert deliver(app, gw, event_id) == "duplicate"
    assert deliver(app, gw, event_id) == "duplicate"
    assert snapshot(app) == before
    assert event_outcome(app, event_id) == "applied"
    with pytest.raises(BookingAlreadyPaid):
        pay(app, ana, booking)


@pytest.mark.parametrize("order", ["failed-first", "succeeded-first"])
def test_out_of_order_failure_and_success_end_confirmed(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, order: str
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    gw.decline(str(payment.provider_reference))
    gw.succeed(str(payment.provider_reference))
    failed, succeeded = last_event(gw, EVENT_INTENT_FAILED), last_event(gw, EVENT_INTENT_SUCCEEDED)
    sequence = [failed, succeeded] if order == "failed-first" else [succeeded, failed]
    outcomes = [deliver(app, gw, e) for e in sequence]

    assert outcomes == (["applied", "applied"] if order == "failed-first" else ["applied", "unchanged"])
    assert state(app, booking)[:2] == ("confirmed", "succeeded")
    assert [deliver(app, gw, e) for e in sequence] == ["duplicate", "duplicate"]


def test_a_refund_seen_before_the_success_still_confirms(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    intent = str(payment.provider_reference)
    gw.succeed(intent)
    gw.refund(intent, amount=1000, idempotency_key="dashboard-refund")
    succeeded, refunded = last_event(gw, EVENT_INTENT_SUCCEEDED), last_event(gw, EVENT_CHARGE_REFUNDED)

    assert deliver(app, gw, refunded) == "applied"
    assert state(app, booking) == ("confirmed", "partially_refunded", 1000, intent)
    assert deliver(app, gw, succeeded) == "unchanged"
    assert state(app, booking) == ("confirmed", "partially_refunded", 1000, intent)


def test_refund_totals_only_grow(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking, payment = paid_booking(app, gw, ana)
    intent = str(payment.provider_reference)
    gw.refund(intent, amount=1000, idempotency_key="r1")
    first = last_event(gw, EVENT_CHARGE_REFUNDED)
    gw.refund(intent, amount=PRICE - 1000, idempotency_key="r2")
    second = last_event(gw, EVENT_CHARGE_REFUNDED)

    assert deliver(app, gw, second) == "applied"
    assert state(app, booking)[1:3] == ("refunded", PRICE)
    assert deliver(app, gw, first) == "unchanged"
    assert state(app, booking)[1:3] == ("refunded", PRICE)
    assert app.booking_repository.get(booking.id).status == "confirmed"  # refunds alone never cancel


def test_unknown_event_types_are_acknowledged_and_ignored(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    pay(app, ana, booking)
    before = snapshot(app)
    document = {
        "id": "evt_other",
        "object": "event",
        "type": "customer.created",
        "created": 1,
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    assert deliver(app, gw, document) == "ignored"
    assert snapshot(app) == before


def test_unverifiable_webhooks_are_refused_and_write_nothing(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    gw.succeed(str(payment.provider_reference))
    body, signature = gw.signed_event(last_event(gw, EVENT_INTENT_SUCCEEDED))
    an_hour_ago = int(datetime.now(UTC).timestamp()) - 3600
    forgeries: dict[str, tuple[bytes, str | None]] = {
        "missing": (body, None),
        "empty": (body, ""),
        "wrong-secret": (body, InMemoryPaymentGateway("whsec_someone_else").sign(body)),
        "stale": (body, gw.sign(body, timestamp=an_hour_ago)),
        "tampered": (body.replace(b'"amount":4500', b'"amount":1'), signature),
        "garbage": (body, "t=abc,v1=zz"),
    }

    before = snapshot(app)
    for name, (raw, header) in forgeries.items():
        try:
            app.payments.handle_webhook(PAYMENT_PROVIDER, raw, header)
        except InvalidWebhook:
            continue
        pytest.fail(f"the {name} webhook was accepted")
    assert snapshot(app) == before
    assert state(app, booking)[:2] == ("pending", "requires_payment_method")
    assert app.payments.handle_webhook(PAYMENT_PROVIDER, body, signature) == "applied"  # the genuine one still works


def _event_for(gw: InMemoryPaymentGateway, event_type: str, n: int = 0, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(gw.events_of(event_type)[-1])
    event["id"] = f"{event['id']}_forged{n}"
    obj = event["data"]["object"]
    for key, value in changes.items():
        if key.startswith("meta_"):
            obj["metadata"][key.removeprefix("meta_")] = value
        else:
            obj[key] = value
    return event


MISMATCHES: list[tuple[dict[str, Any], str]] = [
    ({"amount": 100}, "mismatch"),
    ({"currency": "eur"}, "mismatch"),
    ({"meta_booking_id": "booking-other"}, "mismatch"),
    ({"meta_owner_id": "owner-other"}, "mismatch"),
    ({"id": "pi_someotherintent"}, "mismatch"),
    ({"meta_payment_id": "payment-unknown"}, "unmatched"),
    ({"metadata": {}}, "unmatched"),
]


def test_events_that_disagree_with_our_records_are_recorded_not_applied(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    gw.succeed(str(payment.provider_reference))
    for n, (changes, outcome) in enumerate(MISMATCHES):
        forged = _event_for(gw, EVENT_INTENT_SUCCEEDED, n, **changes)
        assert deliver(app, gw, forged) == outcome, changes
        assert state(app, booking)[:2] == ("pending", "requires_payment_method")
        assert event_outcome(app, forged["id"]) == outcome
        assert deliver(app, gw, forged) == "duplicate"
    # The genuine event still applies.
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_SUCCEEDED)) == "applied"
    assert state(app, booking)[:2] == ("confirmed", "succeeded")


def test_a_refund_event_with_a_wrong_total_is_not_applied(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking, payment = paid_booking(app, gw, ana)
    gw.refund(str(payment.provider_reference), amount=1000, idempotency_key="r1")
    forged = _event_for(gw, EVENT_CHARGE_REFUNDED, amount_refunded=PRICE * 10)
    assert deliver(app, gw, forged) == "mismatch"
    assert state(app, booking)[1:3] == ("succeeded", 0)


# --- cancellation ---------------------------------------------------------------------------


def test_cancelling_an_unpaid_booking_cancels_its_intent(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    cancelled = app.bookings.cancel(actor_of(ana), booking.id)
    assert cancelled.status == "cancelled"
    assert gw.intents[str(payment.provider_reference)]["status"] == "canceled"
    assert state(app, booking)[:2] == ("cancelled", "canceled")
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_CANCELED)) == "unchanged"
    with pytest.raises(InvalidTransition):
        app.bookings.cancel(actor_of(ana), booking.id)
    with pytest.raises(BookingCancelled):
        pay(app, ana, booking)


def test_cancelling_while_the_intent_is_being_created_discards_it(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    gw.unavailable = True
    with pytest.raises(PaymentProviderUnavailable):
        pay(app, ana, booking)
    app.bookings.cancel(actor_of(ana), booking.id)  # the payment is still "creating": nothing to call
    assert state(app, booking)[:2] == ("cancelled", "canceled")
    gw.unavailable = False
    with pytest.raises(BookingCancelled):
        pay(app, ana, booking)
    assert gw.intents == {}


def test_settlement_runs_even_if_payments_was_never_used(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    fresh = Dogcare(app.settings, app.store, app.clock, payment_gateway=gw)  # e.g. another container
    fresh.bookings.cancel(actor_of(ana), booking.id)
    assert gw.intents[str(payment.provider_reference)]["status"] == "canceled"


def test_early_cancellation_refunds_in_full(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock
) -> None:
    booking, payment = paid_booking(app, gw, ana)
    assert booking.start_time - clock() >= timedelta(hours=24)
    app.bookings.cancel(actor_of(ana), booking.id)

    assert state(app, booking)[:3] == ("cancelled", "refunded", PRICE)
    assert app.payment_repository.get(payment.id).refund_due == PRICE
    assert gw.amount_refunded(str(payment.provider_reference)) == PRICE
    assert deliver(app, gw, last_event(gw, EVENT_CHARGE_REFUNDED)) == "unchanged"
    assert app.booking_repository.pending_count(ana.id) == 0


def test_late_cancellation_refunds_the_late_percentage(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock
) -> None:
    booking, payment = paid_booking(app, gw, ana)
    clock.now = booking.start_time - timedelta(hours=23)
    app.bookings.cancel(actor_of(ana), booking.id)

    assert state(app, booking)[:3] == ("cancelled", "partially_refunded", PRICE // 2)
    assert [r.amount for r in gw.refunds_of(str(payment.provider_reference))] == [PRICE // 2]
    assert deliver(app, gw, last_event(gw, EVENT_CHARGE_REFUNDED)) == "unchanged"
    assert not app.settlement.pending(app.booking_repository.get(booking.id))


def test_refunds_never_exceed_what_was_paid(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking, payment = paid_booking(app, gw, ana)
    intent = str(payment.provider_reference)
    gw.refund(intent, amount=1000, idempotency_key="dashboard")  # a goodwill refund from the dashboard
    assert deliver(app, gw, last_event(gw, EVENT_CHARGE_REFUNDED)) == "applied"

    app.bookings.cancel(actor_of(ana), booking.id)  # early: the full price is owed, 1000 of it already paid back
    assert [r.amount for r in gw.refunds_of(intent)] == [1000, PRICE - 1000]
    assert state(app, booking)[:3] == ("cancelled", "refunded", PRICE)


def test_a_late_cancellation_after_a_bigger_refund_refunds_nothing_more(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock
) -> None:
    booking, payment = paid_booking(app, gw, ana)
    intent = str(payment.provider_reference)
    gw.refund(intent, amount=3000, idempotency_key="dashboard")
    deliver(app, gw, last_event(gw, EVENT_CHARGE_REFUNDED))
    clock.now = booking.start_time - timedelta(hours=1)
    app.bookings.cancel(actor_of(ana), booking.id)
    assert [r.amount for r in gw.refunds_of(intent)] == [3000]
    assert state(app, booking)[:3] == ("cancelled", "partially_refunded", 3000)


def test_provider_down_during_refund_keeps_the_cancellation_and_retries_on_the_next_delete(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking, payment = paid_booking(app, gw, ana)
    gw.unavailable = True
    with pytest.raises(PaymentProviderUnavailable):
        app.bookings.cancel(actor_of(ana), booking.id)
    assert state(app, booking)[:3] == ("cancelled", "refund_pending", 0)
    assert app.payment_repository.get(payment.id).refund_due == PRICE
    assert app.booking_repository.pending_count(ana.id) == 0
    with pytest.raises(PaymentProviderUnavailable):
        app.bookings.cancel(actor_of(ana), booking.id)  # still down: still 503, nothing else changes

    gw.unavailable = False
    again = app.bookings.cancel(actor_of(ana), booking.id)
    assert again.status == "cancelled"
    assert state(app, booking)[:3] == ("cancelled", "refunded", PRICE)
    assert len(gw.refunds_of(str(payment.provider_reference))) == 1
    with pytest.raises(InvalidTransition):
        app.bookings.cancel(actor_of(ana), booking.id)  # settled: a plain repeat is a conflict again


def test_a_lost_refund_response_is_not_refunded_twice(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    booking, payment = paid_booking(app, gw, ana)
    gw.lose_next_response()
    with pytest.raises(PaymentProviderUnavailable):
        app.bookings.cancel(actor_of(ana), booking.id)
    assert gw.amount_refunded(str(payment.provider_reference)) == PRICE
    app.bookings.cancel(actor_of(ana), booking.id)
    assert len(gw.refunds_of(str(payment.provider_reference))) == 1
    assert state(app, booking)[:3] == ("cancelled", "refunded", PRICE)


def test_provider_down_while_cancelling_an_unpaid_intent_is_retried(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    gw.fail_next()
    with pytest.raises(PaymentProviderUnavailable):
        app.bookings.cancel(actor_of(ana), booking.id)
    assert state(app, booking)[:2] == ("cancelled", "requires_payment_method")
    app.bookings.cancel(actor_of(ana), booking.id)
    assert gw.intents[str(payment.provider_reference)]["status"] == "canceled"
    assert state(app, booking)[:2] == ("cancelled", "canceled")


def test_paid_while_being_cancelled_refunds_everything(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    intent = str(payment.provider_reference)
    clock.now = booking.start_time - timedelta(hours=2)  # late, but the booking was never confirmed
    gw.succeed(intent)  # the owner paid; its webhook is still on the way
    app.bookings.cancel(actor_of(ana), booking.id)

    assert state(app, booking)[:3] == ("cancelled", "refunded", PRICE)
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_SUCCEEDED)) == "unchanged"
    assert app.booking_repository.get(booking.id).status == "cancelled"  # never confirmed
    assert [r.amount for r in gw.refunds_of(intent)] == [PRICE]


def test_money_arriving_for_a_cancelled_booking_is_refunded(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    intent = str(payment.provider_reference)
    gw.unavailable = True  # the intent cannot be cancelled: the booking is cancelled anyway
    with pytest.raises(PaymentProviderUnavailable):
        app.bookings.cancel(actor_of(ana), booking.id)
    gw.unavailable = False
    gw.succeed(intent)  # the owner still had the payment form open

    gw.unavailable = True
    with pytest.raises(PaymentProviderUnavailable):  # recorded, but the refund must wait: redeliver
        deliver(app, gw, last_event(gw, EVENT_INTENT_SUCCEEDED))
    assert state(app, booking)[:3] == ("cancelled", "refund_pending", 0)
    gw.unavailable = False
    assert deliver(app, gw, last_event(gw, EVENT_INTENT_SUCCEEDED)) == "duplicate"
    assert state(app, booking)[:3] == ("cancelled", "refunded", PRICE)
    assert [r.amount for r in gw.refunds_of(intent)] == [PRICE]


# --- pure rules ------------------------------------------------------------------------------


def test_refund_policy_boundaries() -> None:
    policy = RefundPolicy(full_hours=24, late_percent=50)
    start = datetime(2030, 3, 5, 9, tzinfo=UTC)
    paid = Money(4501, "USD")
    assert policy.refund_for(paid, start, start - timedelta(hours=24)) == paid
    assert policy.refund_for(paid, start, start - timedelta(hours=23, minutes=59)) == Money(2250, "USD")
    assert policy.refund_for(paid, start, start + timedelta(hours=1)) == Money(2250, "USD")
    assert RefundPolicy(48, 0).refund_for(paid, start, start - timedelta(hours=30)) == Money(0, "USD")
    assert RefundPolicy(24, 150).refund_for(paid, start, start) == paid  # never more than paid


def test_idempotency_keys_are_derived_from_the_booking() -> None:
    assert intent_key("booking-1", None) == "booking-booking-1-intent"
    assert intent_key("booking-1", "pi_1") == "booking-booking-1-intent-after-pi_1"
    assert refund_key("booking-1", 0) == "booking-booking-1-cancel-refund"
    assert refund_key("booking-1", 1000) == "booking-booking-1-cancel-refund-after-1000"


def test_refund_status() -> None:
    base = Payment(
        id="payment-1",
        owner_id="o",
        booking_id="b",
        amount=Money(1000, "USD"),
        status="succeeded",
        provider="stripe",
        provider_reference="pi_1",
        amount_refunded=0,
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
        updated_at=datetime(2030, 1, 1, tzinfo=UTC),
        version=1,
    )
    assert refund_status(base) == "succeeded"
    assert refund_status(Payment(**{**base.__dict__, "refund_due": 500})) == "refund_pending"
    assert refund_status(Payment(**{**base.__dict__, "refund_due": 500, "amount_refunded": 500})) == (
        "partially_refunded"
    )
    assert refund_status(Payment(**{**base.__dict__, "amount_refunded": 1000})) == "refunded"


def test_the_payment_code_does_not_import_stripe_until_used() -> None:
    code = (
        "import sys\n"
        "from dogcare.facade import Dogcare\n"
        "from dogcare.settings import Settings\n"
        "import dogcare.services.payments\n"
        "app = Dogcare(Settings())\n"
        "service = app.payments\n"
        "assert 'stripe' not in sys.modules, 'stripe imported too early'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
