"""The payment state machine and the refund policy: pure rules, no provider, no storage.

A payment record moves through :class:`~dogcare.domain.vocabulary.PaymentStatus` values
(``docs/payments.md`` draws the machine). Two groups matter most:

* *open* statuses: no money was received yet, the intent may still take some;
* *paid* statuses: money was received; from here the record only tracks refunds.

Facts about money only move forward: once paid, a payment stays paid; the refunded total
never shrinks; a refund owed (``refund_due``), once decided, is never withdrawn or lowered.
Applying the provider's events in any order, or twice, therefore ends in the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from dogcare.domain.model import Payment
from dogcare.domain.money import Money
from dogcare.domain.vocabulary import PaymentStatus
from dogcare.errors import InvalidTransition

S = PaymentStatus

OPEN_STATUSES: frozenset[PaymentStatus] = frozenset({S.CREATING, S.REQUIRES_PAYMENT_METHOD, S.PROCESSING, S.FAILED})
PAID_STATUSES: frozenset[PaymentStatus] = frozenset({S.SUCCEEDED, S.REFUND_PENDING, S.PARTIALLY_REFUNDED, S.REFUNDED})

# Money can arrive for any unpaid record (a late success for a cancelled intent is still money
# received: it is recorded, then refunded), so every unpaid status may become any paid one.
_TO_PAID = PAID_STATUSES
_FROM_OPEN = frozenset({S.FAILED, S.CANCELED, S.CREATING}) | _TO_PAID

TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    # The intent is recorded (``processing`` if the provider reports it so), or the booking was
    # cancelled before it was.
    S.CREATING: frozenset({S.REQUIRES_PAYMENT_METHOD, S.PROCESSING}) | _FROM_OPEN,
    # Declined (``failed``), cancelled, replaced after a reschedule (``creating``), or paid.
    S.REQUIRES_PAYMENT_METHOD: _FROM_OPEN,
    S.PROCESSING: _FROM_OPEN,
    S.FAILED: _FROM_OPEN,
    # A cancelled intent is replaced by a new one while the booking is still pending.
    S.CANCELED: frozenset({S.CREATING}) | _TO_PAID,
    S.SUCCEEDED: frozenset({S.REFUND_PENDING, S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.REFUND_PENDING: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    # More refund becomes owed when a partly refunded booking is cancelled.
    S.PARTIALLY_REFUNDED: frozenset({S.REFUND_PENDING, S.REFUNDED}),
    S.REFUNDED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    """Whether a record in ``current`` may be written with status ``target`` (staying is allowed:
    a write may change other fields only)."""
    if current == target:
        return current in TRANSITIONS
    return current in TRANSITIONS and target in TRANSITIONS[PaymentStatus(current)]


def moves_forward(before: Payment, after: Payment) -> bool:
    """Whether ``after`` keeps every fact ``before`` knew about the money."""
    if before.status in PAID_STATUSES and after.status not in PAID_STATUSES:
        return False
    if after.amount_refunded < before.amount_refunded:
        return False
    return before.refund_due is None or (after.refund_due is not None and after.refund_due >= before.refund_due)


def require_change(before: Payment, after: Payment) -> None:
    """``InvalidTransition`` unless ``after`` is an allowed next state of ``before``."""
    if not can_move(before.status, after.status):
        raise InvalidTransition(f"a {before.status} payment cannot become {after.status}")
    if not moves_forward(before, after):
        raise InvalidTransition(f"payment {before.id}: a change may not undo money received or refunded")


def refund_status(payment: Payment) -> PaymentStatus:
    """The status of a paid payment from what was refunded and what is owed."""
    if payment.amount_refunded >= payment.amount.amount:
        return S.REFUNDED
    owed = None if payment.refund_due is None else min(payment.refund_due, payment.amount.amount)
    if owed is not None and payment.amount_refunded < owed:
        return S.REFUND_PENDING
    return S.PARTIALLY_REFUNDED if payment.amount_refunded > 0 else S.SUCCEEDED


def with_refunded(payment: Payment, total: int) -> Payment:
    """The payment after the provider reports ``total`` refunded: totals only grow."""
    changed = replace(payment, amount_refunded=max(payment.amount_refunded, total))
    return replace(changed, status=refund_status(changed)) if changed.status in PAID_STATUSES else changed


def refund_all(payment: Payment) -> Payment:
    """Money that cannot confirm its booking: all of it is owed back."""
    owed = replace(payment, refund_due=payment.amount.amount)
    return replace(owed, status=refund_status(owed))


Settlement = Literal["cancel", "decide", "refund"]


def settlement_action(payment: Payment) -> Settlement | None:
    """What a cancelled booking's payment still needs from the provider: cancel the unpaid
    intent, decide the refund the policy owes, pay out a refund owed, or nothing."""
    if payment.status in OPEN_STATUSES:
        return "cancel"
    if payment.status not in PAID_STATUSES:
        return None
    if payment.refund_due is None:
        return None if payment.status == S.REFUNDED else "decide"
    if payment.amount_refunded < min(payment.refund_due, payment.amount.amount):
        return "refund"
    return None


def refund_owed(payment: Payment) -> int:
    """What is still to pay out of the refund owed (minor units; 0 when nothing is owed)."""
    if payment.refund_due is None:
        return 0
    return max(0, min(payment.refund_due, payment.amount.amount) - payment.amount_refunded)


@dataclass(frozen=True)
class RefundPolicy:
    """Full refund when cancelled at least ``full_hours`` before the start; ``late_percent`` after."""

    full_hours: int = 24
    late_percent: int = 50

    def refund_for(self, paid: Money, start: datetime, cancelled_at: datetime) -> Money:
        return paid.percent(self.percent_for(start, cancelled_at))

    def full_refund_until(self, start: datetime) -> datetime:
        return start - timedelta(hours=self.full_hours)

    def percent_for(self, start: datetime, cancelled_at: datetime) -> int:
        if cancelled_at <= self.full_refund_until(start):
            return 100
        return max(0, min(100, self.late_percent))


__all__ = [
    "OPEN_STATUSES",
    "PAID_STATUSES",
    "TRANSITIONS",
    "RefundPolicy",
    "Settlement",
    "can_move",
    "moves_forward",
    "refund_all",
    "refund_owed",
    "refund_status",
    "require_change",
    "settlement_action",
    "with_refunded",
]
