"""Paying for bookings: never a double charge, never a lost payment.

The rules, in short (``docs/payments.md`` has the state machines):

* **One payment record and one live PaymentIntent per booking.** ``create`` links a
  ``Payment`` (status ``creating``) to the pending booking in one transaction, then
  creates the intent with an idempotency key derived from the booking. Retries,
  concurrent calls and a crash between the two steps all converge on the same record and
  the same intent; a declined card is retried on that same intent. A new intent is only
  made once the previous one is known to be cancelled (it can then never take money).
* **Webhooks are the source of truth for money.** Each verified event is checked against
  our records (intent id, amount, currency, metadata) and applied together with an event
  marker in one transaction, so it is applied at most once. The rules only move forward
  (a late ``payment_failed`` never undoes a success), so duplicates and out-of-order
  deliveries end in the same state.
* **A booking is confirmed only for its price.** The link to the booking is conditioned on
  the booking's version (so on the price that was read); the webhook confirms only when the
  money received equals the booking's current price and currency. Otherwise the booking
  stays as it is and the payment is refunded in full (outcome ``price_mismatch``).
* **Unpaid holds expire.** Starting a payment keeps the hold at least
  ``hold_payment_seconds`` more; money that arrives for an expired hold takes its places
  again if they are still free (the booking is confirmed), or is refunded in full.
* **Cancelling settles the money.** An unpaid intent is cancelled; a paid booking is
  refunded per the policy (full refund up to ``refund_full_hours`` before the start,
  ``refund_late_percent`` after that); money that arrives for a cancelled booking is
  refunded in full. What is owed is stored first (``refund_due``), then paid out with an
  idempotency key, so a retry never refunds twice and refunds never exceed the payment.
  If the provider is down the booking stays cancelled, the settlement stays pending and
  is retried by a repeated cancel (or by the provider's next webhook for the payment).

No HTTP here: the handlers map the typed errors to status codes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dogcare.commands import NewPayment
from dogcare.domain import lifecycle
from dogcare.domain.actor import Actor
from dogcare.domain.clock import utcnow
from dogcare.domain.ids import new_id
from dogcare.domain.model import Booking, Payment
from dogcare.domain.money import Money
from dogcare.domain.payments import (
    OPEN_STATUSES,
    PAID_STATUSES,
    RefundPolicy,
    refund_all,
    refund_status,
    require_change,
    settlement_action,
    with_refunded,
)
from dogcare.domain.scheduling import overlaps
from dogcare.domain.vocabulary import PAID_BOOKING_STATUSES, BookingStatus, PaymentStatus
from dogcare.errors import (
    AlreadyLinked,
    BookingAlreadyPaid,
    BookingCancelled,
    BookingNotPayable,
    CapacityFull,
    ConcurrentUpdate,
    DogcareError,
    EventAlreadyProcessed,
    InvalidTransition,
    NotFound,
    PaymentProviderError,
)
from dogcare.payments.gateway import (
    CANCELED,
    EVENT_CHARGE_REFUNDED,
    EVENT_INTENT_CANCELED,
    EVENT_INTENT_FAILED,
    EVENT_INTENT_SUCCEEDED,
    PROCESSING,
    SUCCEEDED,
    IntentResult,
    PaymentGateway,
    WebhookEvent,
)
from dogcare.repositories.payments import PaymentRepository
from dogcare.services.settlement import ATTEMPTS, CancellationSettlement, cancel_key, intent_of, refund_key, save_change

if TYPE_CHECKING:
    from dogcare.repositories.bookings import BookingRepository
    from dogcare.repositories.dogs import Schedule

logger = logging.getLogger(__name__)

PROVIDER = "stripe"

HANDLED_EVENTS = frozenset({EVENT_INTENT_SUCCEEDED, EVENT_INTENT_FAILED, EVENT_INTENT_CANCELED, EVENT_CHARGE_REFUNDED})

# Webhook outcomes (the word the webhook acknowledgement carries).
APPLIED = "applied"  # our records changed
UNCHANGED = "unchanged"  # verified, but already reflected (a late or repeated fact)
DUPLICATE = "duplicate"  # this event id was processed before
IGNORED = "ignored"  # an event type we do not act on
MISMATCH = "mismatch"  # amount, currency, intent or metadata disagree with our records: not applied
UNMATCHED = "unmatched"  # not about any payment of ours: not applied
PRICE_MISMATCH = "price_mismatch"  # paid, but not the booking's price: not confirmed, refunded in full
LATE_REFUNDED = "late_refunded"  # paid after the hold expired and its places were taken: refunded


# --- idempotency keys: derived from stored state only, so every retry sends the same one ---


def intent_key(booking_id: str, previous_intent: str | None) -> str:
    """The booking's first intent, or the one that replaces a cancelled ``previous_intent``."""
    base = f"booking-{booking_id}-intent"
    return base if previous_intent is None else f"{base}-after-{previous_intent}"


@dataclass(frozen=True)
class CancellationPreview:
    booking_id: str
    cancellable: bool
    refund: Money | None  # None: nothing was paid, so nothing is refunded
    currency: str
    refund_percent: int
    full_refund_until: datetime | None  # None once the full-refund window has passed
    reason: str


class PaymentService:
    def __init__(
        self,
        payments: PaymentRepository,
        bookings: BookingRepository,
        gateway: Callable[[], PaymentGateway],
        settlement: CancellationSettlement,
        refunds: RefundPolicy,
        *,
        payment_hold: timedelta,
        default_daily_capacity: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``gateway`` is called on each provider call (the configured gateway, built on first
        use: the Stripe one imports its SDK); ``payment_hold`` is how long starting a payment keeps
        an unpaid hold at least; ``default_daily_capacity`` applies where none is configured."""
        self.repo = payments
        self.booking_repo = bookings
        self._gateway = gateway
        self.settlement = settlement
        self.policy = refunds
        self.payment_hold = payment_hold
        self.default_daily_capacity = default_daily_capacity
        self.clock = clock

    # --- collaborators ----------------------------------------------------------------

    @property
    def gateway(self) -> PaymentGateway:
        return self._gateway()

    def _save(self, current: Payment, **changes: Any) -> Payment:
        return save_change(self.repo, current, self.clock(), **changes)

    # --- owner use cases --------------------------------------------------------------

    def create(self, actor: Actor, command: NewPayment) -> Payment:
        """Start (or resume) paying for one of the actor's pending bookings; the result carries
        the ``client_secret``."""
        owner_id = actor.owner_id
        booking = self.booking_repo.get_for_owner(owner_id, command.booking_id)
        for _ in range(ATTEMPTS):
            self._require_payable(booking)
            now = self.clock()
            if booking.payment_id:
                linked = booking.payment_id
                # Paying again (another card, a lost answer) counts as starting: the hold lasts.
                hold_until, days = self._hold_extension(booking, now)
                if hold_until is not None and self.repo.extend_hold(booking, hold_until, days):
                    booking = replace(booking, hold_expires_at=hold_until, version=booking.version + 1)
                return self._resume(booking, self.repo.get(linked))
            payment = Payment(
                id=new_id("payment"),
                owner_id=owner_id,
                booking_id=booking.id,
                amount=booking.price,
                status=PaymentStatus.CREATING,
                provider=PROVIDER,
                provider_reference=None,
                amount_refunded=0,
                created_at=now,
                updated_at=now,
                version=0,
            )
            hold_until, days = self._hold_extension(booking, now)
            try:
                reserved = self.repo.reserve(payment, booking, hold_until, days)
            except AlreadyLinked:
                # Another request linked a payment first, the booking was rescheduled (its price
                # may differ) or it left "pending": read it again and price it again.
                booking = self.booking_repo.get_for_owner(owner_id, booking.id)
                continue
            booking = replace(
                booking,
                payment_id=reserved.id,
                version=booking.version + 1,
                hold_expires_at=hold_until or booking.hold_expires_at,
            )
            return self._open_intent(booking, reserved)
        raise ConcurrentUpdate("the booking kept changing while starting its payment; please retry")

    def get(self, actor: Actor, payment_id: str) -> Payment:
        """One of the actor's payments (never with the client secret)."""
        return self.repo.get_for_owner(actor.owner_id, payment_id)

    def _hold_extension(self, booking: Booking, now: datetime) -> tuple[datetime | None, tuple[Any, ...]]:
        """The hold's new deadline while the owner pays (None: unchanged), and the roster days
        that show it."""
        if booking.hold_expires_at is None:
            return None, ()
        until = lifecycle.extended_hold(booking.hold_expires_at, now, self.payment_hold)
        if until == booking.hold_expires_at:
            return None, ()
        plan = lifecycle.occupied(booking)
        return until, plan.roster_days

    def _require_payable(self, booking: Booking) -> None:
        if booking.status == BookingStatus.CANCELLED:
            raise BookingCancelled("the booking is cancelled and cannot be paid for")
        # A hold past its deadline that the sweeper has not reached yet is still held: paying
        # for it extends it. Once expired, its places may be someone else's.
        if booking.status == BookingStatus.EXPIRED:
            raise BookingNotPayable("the booking was not paid in time and its places were released; book again")
        if booking.status in PAID_BOOKING_STATUSES:
            raise BookingAlreadyPaid(f"the booking is already paid (it is {booking.status})")
        if booking.status != BookingStatus.PENDING:
            raise BookingNotPayable(f"a {booking.status} booking cannot be paid for")
        if booking.start_time <= self.clock():
            raise BookingNotPayable("the booking has already started; it can no longer be paid for online")

    def _resume(self, booking: Booking, payment: Payment) -> Payment:
        """The booking already has a payment: hand out its intent again (or a replacement)."""
        for _ in range(ATTEMPTS):
            try:
                if payment.status in PAID_STATUSES and payment.refund_due is not None:
                    raise BookingNotPayable("the payment did not match the booking's price and is refunded; book again")
                if payment.status in PAID_STATUSES:
                    raise BookingAlreadyPaid("the booking is already paid")
                if payment.status == PaymentStatus.CREATING:
                    return self._open_intent(booking, payment)
                if payment.status == PaymentStatus.CANCELED:
                    payment = self._replace_intent(booking, payment)
                    continue
                reference = intent_of(payment)
                if payment.amount != booking.price:
                    # The booking was rescheduled to another price: the old intent must go first.
                    if self.settlement.cancel_intent(booking, reference) == SUCCEEDED:
                        raise BookingAlreadyPaid("the booking was just paid")
                    payment = self._replace_intent(booking, payment)
                    continue
                intent = self.gateway.retrieve_intent(reference)
                if intent.status == CANCELED:  # cancelled at the provider; its webhook is still on the way
                    payment = self._replace_intent(booking, payment)
                    continue
                return replace(payment, client_secret=intent.client_secret)
            except ConcurrentUpdate:
                payment = self.repo.get(payment.id)
        raise ConcurrentUpdate("the payment kept changing; please retry")

    def _replace_intent(self, booking: Booking, payment: Payment) -> Payment:
        """Back to ``creating`` for a new intent; ``provider_reference`` keeps the cancelled one,
        from which the new intent's idempotency key is derived."""
        return self._save(payment, status=PaymentStatus.CREATING, amount=booking.price, failure_reason=None)

    def _open_intent(self, booking: Booking, payment: Payment) -> Payment:
        """Create the intent of a ``creating`` payment (idempotently) and record it."""
        previous = payment.provider_reference
        intent = self.gateway.create_intent(
            amount=payment.amount.amount,
            currency=payment.amount.currency,
            metadata={"booking_id": booking.id, "owner_id": payment.owner_id, "payment_id": payment.id},
            idempotency_key=intent_key(booking.id, previous),
        )
        for _ in range(ATTEMPTS):
            if payment.provider_reference == intent.id:  # a concurrent request recorded it first
                return replace(payment, client_secret=intent.client_secret)
            if payment.status != PaymentStatus.CREATING or payment.provider_reference != previous:
                break
            status = PaymentStatus.PROCESSING if intent.status == PROCESSING else PaymentStatus.REQUIRES_PAYMENT_METHOD
            try:
                saved = self._save(payment, provider_reference=intent.id, status=status)
            except ConcurrentUpdate:
                payment = self.repo.get(payment.id)
                continue
            return replace(saved, client_secret=intent.client_secret)
        else:
            raise ConcurrentUpdate("the payment kept changing; please retry")
        # The payment moved on without this intent: the booking was cancelled meanwhile.
        self._discard(booking, intent)
        current = self.booking_repo.get(booking.id)
        if current.status == BookingStatus.CANCELLED:
            raise BookingCancelled("the booking was cancelled while its payment was being set up")
        raise ConcurrentUpdate("the payment changed while it was being set up; please retry")

    def _discard(self, booking: Booking, intent: IntentResult) -> None:
        """Best effort: cancel an intent nobody will use (its client secret was never handed out)."""
        try:
            self.gateway.cancel_intent(intent.id, idempotency_key=cancel_key(booking.id, intent.id))
        except DogcareError as exc:
            logger.warning("could not cancel unused payment intent %s: %s", intent.id, exc)

    # --- cancellation preview (read-only: what cancelling now would do) -----------------

    def cancellation_preview(self, actor: Actor, booking_id: str) -> CancellationPreview:
        """What ``DELETE /bookings/{id}`` would do with the money now, by the refund policy the
        cancellation itself applies (``RefundPolicy.refund_for``). Owner-scoped: another owner's
        booking is ``NotFound``, like an unknown one."""
        booking = self.booking_repo.get_for_owner(actor.owner_id, booking_id)
        now = self.clock()
        currency = booking.price.currency
        if not lifecycle.can_transition(booking.status, BookingStatus.CANCELLED):
            reason = f"a {booking.status} booking cannot be cancelled"
            return CancellationPreview(booking.id, False, None, currency, 0, None, reason)
        percent = self.policy.percent_for(booking.start_time, now)
        until = self.policy.full_refund_until(booking.start_time)
        full_until = until if now <= until else None
        payment = self.repo.get(booking.payment_id) if booking.payment_id else None
        if payment is None or payment.status not in PAID_STATUSES:
            reason = "nothing has been paid: the booking is cancelled and its place freed, no money moves"
            return CancellationPreview(booking.id, True, None, currency, percent, full_until, reason)
        due = self.policy.refund_for(payment.amount, booking.start_time, now)
        # What the cancellation would still pay out: the policy's share less any refund made already.
        refund = Money(max(0, min(due.amount, payment.amount.amount) - payment.amount_refunded), currency)
        if percent == 100:
            reason = f"cancelled at least {self.policy.full_hours} hours before the start: a full refund"
        else:
            reason = f"cancelled less than {self.policy.full_hours} hours before the start: {percent}% is refunded"
        return CancellationPreview(booking.id, True, refund, currency, percent, full_until, reason)

    # --- webhooks -----------------------------------------------------------------------

    def handle_webhook(self, actor: Actor, raw: bytes, signature: str | None) -> str:
        """Verify and apply one provider event; returns the outcome word for the acknowledgement.

        Run by the system (``PAYMENT_PROVIDER``): the signature, not a person, vouches for it.

        ``InvalidWebhook`` (nothing written) if the signature does not verify;
        ``PaymentProviderUnavailable`` if a settlement the event made due could not reach the
        provider (the provider then delivers the event again, and the settlement is retried).
        """
        actor.require_system()
        event = self.gateway.parse_webhook(raw, signature)
        if event.type not in HANDLED_EVENTS:
            logger.debug("webhook %s of type %s ignored", event.id, event.type)
            return IGNORED
        for _ in range(ATTEMPTS):
            try:
                outcome, payment, booking = self._apply(event)
                break
            except (ConcurrentUpdate, InvalidTransition):
                continue  # the payment or booking changed between our read and our write
        else:
            raise ConcurrentUpdate(f"event {event.id} could not be applied; deliver it again")
        if (
            payment is not None
            and booking is not None
            and booking.status == BookingStatus.CANCELLED
            and settlement_action(payment) is not None
        ):
            try:
                self.settlement.settle(booking, booking)
            except PaymentProviderError as exc:
                # A refusal will not change by delivering the event again: the event is applied;
                # the settlement stays pending for the next cancel request (or a person) to finish.
                logger.error("settling cancelled booking %s after webhook %s failed: %s", booking.id, event.id, exc)
        elif payment is not None and booking is not None and settlement_action(payment) == "refund":
            # Money that could not confirm its booking (wrong amount, or an expired hold whose
            # places are gone): refunded with the booking's one refund key, so no path refunds twice.
            try:
                self.settlement.refund_unconfirmed(booking, payment)
            except PaymentProviderError as exc:
                logger.error("refunding payment %s after webhook %s failed: %s", payment.id, event.id, exc)
        return outcome

    def _apply(self, event: WebhookEvent) -> tuple[str, Payment | None, Booking | None]:
        payment_id = event.metadata.get("payment_id")
        payment: Payment | None = None
        if payment_id:
            try:
                payment = self.repo.get(payment_id)
            except NotFound:
                payment = None
        if payment is None:
            logger.warning("webhook %s (%s) is not about a payment of ours: not applied", event.id, event.type)
            return self._mark(event, UNMATCHED), None, None

        problems = self._mismatches(payment, event)
        if problems:
            logger.warning(
                "webhook %s (%s) for payment %s not applied: %s",
                event.id,
                event.type,
                payment.id,
                "; ".join(problems),
            )
            return self._mark(event, MISMATCH), payment, None
        booking = self.booking_repo.get(payment.booking_id)
        if payment.status == PaymentStatus.CREATING and payment.provider_reference is not None:
            # About the cancelled intent being replaced: nothing left to change.
            return self._mark(event, UNCHANGED), payment, booking

        assert event.intent_id is not None  # _mismatches refuses an event without one
        changed, target = self._next_state(event, payment, booking, event.intent_id)
        if changed == payment and target is None:
            return self._mark(event, UNCHANGED), payment, booking
        outcome = APPLIED
        refused = target is None and changed.refund_due is not None and payment.refund_due is None
        if refused and booking.status in (BookingStatus.PENDING, BookingStatus.EXPIRED):
            outcome = PRICE_MISMATCH  # _next_state refused to confirm for this amount
        revival = None
        if target == BookingStatus.CONFIRMED and booking.status == BookingStatus.EXPIRED:
            revival = self._revival(booking)
            if revival is None:
                target, changed, outcome = None, refund_all(changed), LATE_REFUNDED
        try:
            saved, after = self._commit_change(event, payment, changed, booking, target, outcome, revival)
        except EventAlreadyProcessed:
            return DUPLICATE, payment, booking
        except CapacityFull:
            # The expired hold's last places were taken between our read and our write.
            target, changed, outcome = None, refund_all(changed), LATE_REFUNDED
            try:
                saved, after = self._commit_change(event, payment, changed, booking, None, outcome, None)
            except EventAlreadyProcessed:
                return DUPLICATE, payment, booking
        if outcome == PRICE_MISMATCH:
            logger.error(
                "webhook %s: payment %s of %s does not match the price %s of booking %s: not confirmed, refunded",
                event.id,
                payment.id,
                payment.amount,
                booking.price,
                booking.id,
            )
        elif outcome == LATE_REFUNDED:
            logger.warning(
                "webhook %s: payment %s arrived after booking %s expired and its places are gone: refunded",
                event.id,
                payment.id,
                booking.id,
            )
        logger.info(
            "webhook %s (%s): payment %s %s -> %s%s",
            event.id,
            event.type,
            payment.id,
            payment.status,
            saved.status,
            f", booking {booking.id} -> {target}" if target else "",
        )
        return outcome, saved, after

    def _commit_change(
        self,
        event: WebhookEvent,
        payment: Payment,
        changed: Payment,
        booking: Booking,
        target: str | None,
        outcome: str,
        revival: tuple[str, Schedule, int] | None,
    ) -> tuple[Payment, Booking]:
        """The payment change, the booking's move and the event marker: one transaction."""
        now = self.clock()
        tx = self.repo.transaction()
        require_change(payment, changed)
        saved = self.repo.add_payment_update(tx, payment, replace(changed, updated_at=now))
        after = booking
        if target is not None:
            plan = lifecycle.occupied(booking)
            if revival is not None:
                dog_name, schedule, limit = revival
                after = self.booking_repo.add_revival(tx, booking, dog_name, schedule, plan, limit, now)
            else:
                after = self.booking_repo.add_transition(tx, booking, target, plan, now)
        self.repo.add_event_marker(tx, event.id, event.type, outcome, now)
        self.repo.commit_event(tx)
        return saved, after

    def _revival(self, booking: Booking) -> tuple[str, Schedule, int] | None:
        """Whether money for an expired hold can still take its places: the stay has not begun,
        the dog is free then and the service is offered. (Capacity is checked by the write.)"""
        if booking.start_time <= self.clock():
            return None
        dog, schedule, configured = self.booking_repo.load_for_booking(booking.dog_id, booking.service_type)
        if dog is None or schedule is None:
            return None
        for other_id, (other_start, other_end) in schedule.intervals.items():
            if other_id != booking.id and overlaps(booking.start_time, booking.end_time, other_start, other_end):
                return None
        limit = self.default_daily_capacity if configured is None else configured
        if limit <= 0:
            return None
        return dog.name, schedule, limit

    def _mark(self, event: WebhookEvent, outcome: str) -> str:
        """Record an event that changed nothing, so a redelivery is recognised as a duplicate."""
        tx = self.repo.transaction()
        self.repo.add_event_marker(tx, event.id, event.type, outcome, self.clock())
        try:
            self.repo.commit_event(tx)
        except EventAlreadyProcessed:
            return DUPLICATE
        return outcome

    @staticmethod
    def _mismatches(payment: Payment, event: WebhookEvent) -> list[str]:
        problems: list[str] = []
        intent_id = event.intent_id
        if intent_id is None:
            problems.append("no payment intent id")
        elif payment.provider_reference is not None and intent_id != payment.provider_reference:
            problems.append(f"intent {intent_id} is not the payment's ({payment.provider_reference})")
        if event.amount != payment.amount.amount:
            problems.append(f"amount {event.amount!r} is not {payment.amount.amount}")
        currency = event.currency
        if currency is None or currency.upper() != payment.amount.currency:
            problems.append(f"currency {currency!r} is not {payment.amount.currency}")
        for key, expected in (("booking_id", payment.booking_id), ("owner_id", payment.owner_id)):
            if event.metadata.get(key) != expected:
                problems.append(f"metadata {key} {event.metadata.get(key)!r} is not {expected!r}")
        refunded = event.amount_refunded
        if refunded is None or not 0 <= refunded <= payment.amount.amount:
            problems.append(f"amount_refunded {refunded!r} is not between 0 and {payment.amount.amount}")
        return problems

    def _next_state(
        self, event: WebhookEvent, payment: Payment, booking: Booking, intent_id: str
    ) -> tuple[Payment, str | None]:
        """The payment after the event, and the booking status to move to (if any).

        Facts only accumulate: money received stays received, refunded totals only grow,
        so applying the events in any order (or twice) ends in the same state.
        """
        event_type = event.type
        if event_type == EVENT_INTENT_FAILED:
            if payment.status in OPEN_STATUSES:
                return replace(
                    payment,
                    status=PaymentStatus.FAILED,
                    failure_reason=event.failure_reason,
                    provider_reference=intent_id,
                ), None
            return payment, None
        if event_type == EVENT_INTENT_CANCELED:
            if payment.status in OPEN_STATUSES:
                return replace(payment, status=PaymentStatus.CANCELED, provider_reference=intent_id), None
            return payment, None
        # payment_intent.succeeded, or charge.refunded (which implies the charge succeeded).
        changed, target = payment, None
        if payment.status not in PAID_STATUSES:
            changed = replace(
                payment, status=PaymentStatus.SUCCEEDED, failure_reason=None, provider_reference=intent_id
            )
            if booking.status in (BookingStatus.PENDING, BookingStatus.EXPIRED):
                if booking.price == payment.amount:
                    target = BookingStatus.CONFIRMED  # for an expired hold: if its places are still free
                else:
                    # The money received (checked equal to the payment's amount) is not the
                    # booking's price: never confirm for it; all of it goes back.
                    changed = replace(changed, refund_due=changed.amount.amount)
            elif booking.status == BookingStatus.CANCELLED and changed.refund_due is None:
                # Paid after (or while) the booking was cancelled: all of it goes back.
                changed = replace(changed, refund_due=changed.amount.amount)
            elif booking.status not in PAID_BOOKING_STATUSES:
                logger.error("payment %s succeeded for booking %s in status %s", payment.id, booking.id, booking.status)
        if event_type == EVENT_CHARGE_REFUNDED:
            changed = with_refunded(changed, event.amount_refunded or 0)
        elif changed.status in PAID_STATUSES:
            changed = replace(changed, status=refund_status(changed))
        return changed, target


__all__ = [
    "APPLIED",
    "DUPLICATE",
    "IGNORED",
    "LATE_REFUNDED",
    "MISMATCH",
    "PRICE_MISMATCH",
    "UNCHANGED",
    "UNMATCHED",
    "CancellationPreview",
    "PaymentService",
    "RefundPolicy",
    "cancel_key",
    "intent_key",
    "refund_key",
    "refund_status",
]
