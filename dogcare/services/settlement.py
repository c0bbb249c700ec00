"""Settling the money of a cancelled booking: cancel its unpaid intent, or refund per the policy.

The booking service builds this on the first cancellation of a booking with a payment (so a
process that never touches a payment never imports it); the payment service uses it for the
provider calls a webhook makes due. What is owed is stored first (``refund_due``), then paid
out with an idempotency key derived from stored state, so a retry never refunds twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from dogcare.domain.model import Booking, Payment
from dogcare.domain.payments import RefundPolicy, refund_owed, refund_status, require_change, settlement_action
from dogcare.domain.vocabulary import BookingStatus, PaymentStatus
from dogcare.errors import ConcurrentUpdate, PaymentProviderError, PaymentProviderUnavailable
from dogcare.payments.gateway import CANCELED, SUCCEEDED, PaymentGateway
from dogcare.repositories.payments import PaymentRepository

logger = logging.getLogger(__name__)

ATTEMPTS = 5  # re-reads after losing a race on a versioned write


# --- idempotency keys: derived from stored state only, so every retry sends the same one ---


def cancel_key(booking_id: str, intent_id: str) -> str:
    return f"booking-{booking_id}-cancel-{intent_id}"


def refund_key(booking_id: str, already_refunded: int) -> str:
    """The cancellation refund; a later top-up (after an outside partial refund) gets its own key."""
    base = f"booking-{booking_id}-cancel-refund"
    return base if already_refunded == 0 else f"{base}-after-{already_refunded}"


def intent_of(payment: Payment) -> str:
    """The payment's intent at the provider (a bug if it has none yet)."""
    if not payment.provider_reference:
        raise PaymentProviderError(f"payment {payment.id} has no payment intent")
    return payment.provider_reference


def save_change(repo: PaymentRepository, current: Payment, now: datetime, **changes: Any) -> Payment:
    """A versioned write of ``current`` with ``changes``; ``ConcurrentUpdate`` if it moved on."""
    changed = replace(current, updated_at=now, client_secret=None, **changes)
    require_change(current, changed)
    return repo.update(current, changed)


class CancellationSettlement:
    def __init__(
        self,
        payments: PaymentRepository,
        gateway: Callable[[], PaymentGateway],
        refunds: RefundPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        """``gateway`` is called on each provider call: the configured gateway, built on first use."""
        self.repo = payments
        self._gateway = gateway
        self.refunds = refunds
        self.clock = clock

    @property
    def gateway(self) -> PaymentGateway:
        return self._gateway()

    def _save(self, current: Payment, **changes: Any) -> Payment:
        return save_change(self.repo, current, self.clock(), **changes)

    def pending(self, booking: Booking) -> bool:
        """Whether the money of a cancelled booking still needs a provider call."""
        if booking.status != BookingStatus.CANCELLED or not booking.payment_id:
            return False
        return settlement_action(self.repo.get(booking.payment_id)) is not None

    def settle(self, before: Booking, after: Booking) -> None:
        """Cancel the unpaid intent, or refund per the policy; ``PaymentProviderUnavailable`` if
        the provider is down (the booking stays cancelled and a retry settles it)."""
        if after.status != BookingStatus.CANCELLED or not after.payment_id:
            return
        for _ in range(2 * ATTEMPTS):
            payment = self.repo.get(after.payment_id)
            action = settlement_action(payment)
            if action is None:
                return
            try:
                if action == "cancel":
                    self._settle_open(after, payment)
                elif action == "decide":
                    self._decide_refund(after, payment)
                else:
                    self.pay_refund(after, payment)
            except ConcurrentUpdate:
                continue  # a webhook changed the payment meanwhile: look again
            except PaymentProviderUnavailable:
                logger.warning(
                    "settling cancelled booking %s (payment %s) is pending: provider unavailable",
                    after.id,
                    payment.id,
                )
                raise
        raise ConcurrentUpdate("the payment kept changing while settling the cancellation; please retry")

    def _settle_open(self, booking: Booking, payment: Payment) -> None:
        if payment.status == PaymentStatus.CREATING:
            # Its intent, if one was made, was never handed out: nobody can pay it.
            self._save(payment, status=PaymentStatus.CANCELED)
            return
        outcome = self.cancel_intent(booking, intent_of(payment))
        if outcome == SUCCEEDED:
            # The owner paid while the booking was being cancelled: all of it goes back.
            due = payment.amount.amount if payment.refund_due is None else payment.refund_due
            self._save(payment, status=PaymentStatus.REFUND_PENDING, refund_due=due, failure_reason=None)
        else:
            self._save(payment, status=PaymentStatus.CANCELED)

    def cancel_intent(self, booking: Booking, intent_id: str) -> str:
        """Cancel an intent; ``canceled``, or ``succeeded`` if it was paid before it could be."""
        try:
            self.gateway.cancel_intent(intent_id, idempotency_key=cancel_key(booking.id, intent_id))
            return CANCELED
        except PaymentProviderError as refused:
            intent = self.gateway.retrieve_intent(intent_id)
            if intent.status in (CANCELED, SUCCEEDED):
                return intent.status
            raise refused

    def _decide_refund(self, booking: Booking, payment: Payment) -> None:
        """Store what the policy owes before paying anything out (retries then agree on it)."""
        cancelled_at = booking.cancelled_at or self.clock()
        due = self.refunds.refund_for(payment.amount, booking.start_time, cancelled_at).amount
        changed = replace(payment, refund_due=due)
        logger.info(
            "booking %s cancelled %s before its start: refund %s of %s",
            booking.id,
            booking.start_time - cancelled_at,
            due,
            payment.amount.amount,
        )
        self._save(payment, refund_due=due, status=refund_status(changed))

    def pay_refund(self, booking: Booking, payment: Payment) -> None:
        assert payment.refund_due is not None
        owed = refund_owed(payment)
        key = refund_key(booking.id, payment.amount_refunded)
        result = self.gateway.refund(intent_of(payment), amount=owed, idempotency_key=key)
        total = min(payment.amount.amount, payment.amount_refunded + result.amount)
        current = payment
        for _ in range(ATTEMPTS):
            # The provider's webhook may have recorded the refund already: totals only grow.
            changed = replace(current, amount_refunded=max(current.amount_refunded, total))
            status = refund_status(changed)
            if changed.amount_refunded == current.amount_refunded and status == current.status:
                return
            try:
                self._save(current, amount_refunded=changed.amount_refunded, status=status)
                return
            except ConcurrentUpdate:
                current = self.repo.get(payment.id)
        raise ConcurrentUpdate("the payment kept changing while recording a refund; please retry")

    def refund_unconfirmed(self, booking: Booking, payment: Payment) -> None:
        """Refund money that could not confirm its booking (all of it is owed), with the
        booking's one refund key, so no path refunds twice."""
        for _ in range(ATTEMPTS):
            if settlement_action(payment) != "refund":
                return
            try:
                self.pay_refund(booking, payment)
                return
            except ConcurrentUpdate:
                payment = self.repo.get(payment.id)
        raise ConcurrentUpdate("the payment kept changing while refunding it; please retry")


__all__ = ["CancellationSettlement", "cancel_key", "intent_of", "refund_key", "save_change"]
