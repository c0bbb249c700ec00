"""The payment state machine and the refund policy, as pure rules (no storage, no provider)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dogcare.domain.model import Payment
from dogcare.domain.money import Money
from dogcare.domain.payments import (
    OPEN_STATUSES,
    PAID_STATUSES,
    RefundPolicy,
    can_move,
    moves_forward,
    refund_all,
    refund_owed,
    refund_status,
    require_change,
    settlement_action,
    with_refunded,
)
from dogcare.domain.vocabulary import PaymentStatus as S
from dogcare.errors import InvalidTransition

PAID = {"succeeded", "refund_pending", "partially_refunded", "refunded"}
UNPAID_TO = {"failed", "canceled", "creating", *PAID}
# Written out independently of the module: every move the payment service makes.
ALLOWED = {
    "creating": {"requires_payment_method", "processing", *UNPAID_TO},
    "requires_payment_method": UNPAID_TO,
    "processing": UNPAID_TO,
    "failed": UNPAID_TO,
    "canceled": {"creating", *PAID},
    "succeeded": {"refund_pending", "partially_refunded", "refunded"},
    "refund_pending": {"partially_refunded", "refunded"},
    "partially_refunded": {"refund_pending", "refunded"},
    "refunded": set(),
}
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)


def payment(status: str = "succeeded", amount: int = 4500, refunded: int = 0, due: int | None = None) -> Payment:
    return Payment(
        id="payment-1",
        owner_id="owner-1",
        booking_id="booking-1",
        amount=Money(amount, "USD"),
        status=status,
        provider="stripe",
        provider_reference="pi_1",
        amount_refunded=refunded,
        created_at=NOW,
        updated_at=NOW,
        version=1,
        refund_due=due,
    )


def test_status_groups() -> None:
    assert {*OPEN_STATUSES} == {"creating", "requires_payment_method", "processing", "failed"}
    assert {*PAID_STATUSES} == PAID
    assert set(S) == {*OPEN_STATUSES, *PAID_STATUSES, S.CANCELED}


@pytest.mark.parametrize(("current", "target"), list(itertools.product([s.value for s in S], repeat=2)))
def test_every_transition_is_allowed_or_refused(current: str, target: str) -> None:
    allowed = target == current or target in ALLOWED[current]
    assert can_move(current, target) is allowed
    before, after = payment(current), payment(target)
    if allowed:
        require_change(before, after)
    else:
        with pytest.raises(InvalidTransition):
            require_change(before, after)


def test_unknown_statuses_never_move() -> None:
    assert not can_move("lost", "succeeded")
    assert not can_move("lost", "lost")
    assert not can_move("succeeded", "lost")


def test_a_change_may_not_undo_money() -> None:
    paid = payment("partially_refunded", refunded=1000, due=2250)
    assert moves_forward(paid, replace(paid, amount_refunded=2250, status="partially_refunded"))
    assert not moves_forward(paid, replace(paid, amount_refunded=500))
    assert not moves_forward(paid, replace(paid, refund_due=None))
    assert not moves_forward(paid, replace(paid, refund_due=2000))
    assert not moves_forward(payment("succeeded"), payment("failed"))
    with pytest.raises(InvalidTransition):
        require_change(paid, replace(paid, amount_refunded=0))


# --- refund policy --------------------------------------------------------------------------

START = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before_start", "percent"),
    [
        (timedelta(days=30), 100),
        (timedelta(hours=24, seconds=1), 100),
        (timedelta(hours=24), 100),  # exactly the window: still a full refund
        (timedelta(hours=24) - timedelta(microseconds=1), 50),
        (timedelta(hours=1), 50),
        (timedelta(0), 50),
        (-timedelta(hours=3), 50),  # after the start (staff may cancel then)
    ],
)
def test_the_refund_window_boundary(before_start: timedelta, percent: int) -> None:
    policy = RefundPolicy(full_hours=24, late_percent=50)
    assert policy.percent_for(START, START - before_start) == percent
    assert policy.refund_for(Money(4500, "USD"), START, START - before_start) == Money(4500 * percent // 100, "USD")


def test_refund_amounts_truncate_and_the_late_percent_is_clamped() -> None:
    late = START - timedelta(hours=1)
    assert RefundPolicy(24, 33).refund_for(Money(4501, "USD"), START, late) == Money(1485, "USD")
    assert RefundPolicy(24, 150).percent_for(START, late) == 100
    assert RefundPolicy(24, -5).percent_for(START, late) == 0
    assert RefundPolicy(0, 0).percent_for(START, START) == 100
    assert RefundPolicy(48, 10).full_refund_until(START) == START - timedelta(hours=48)


@given(
    amount=st.integers(min_value=50, max_value=10**7),
    percent=st.integers(min_value=-50, max_value=200),
    hours=st.integers(min_value=0, max_value=200),
    offset=st.integers(min_value=-(10**6), max_value=10**6),
)
def test_a_refund_is_never_negative_nor_more_than_paid(amount: int, percent: int, hours: int, offset: int) -> None:
    refund = RefundPolicy(hours, percent).refund_for(Money(amount, "USD"), START, START + timedelta(seconds=offset))
    assert 0 <= refund.amount <= amount


# --- refund status and settlement -----------------------------------------------------------


@pytest.mark.parametrize(
    ("refunded", "due", "status", "action", "owed"),
    [
        (0, None, "succeeded", "decide", 0),
        (1000, None, "partially_refunded", "decide", 0),
        (4500, None, "refunded", None, 0),
        (0, 2250, "refund_pending", "refund", 2250),
        (1000, 2250, "refund_pending", "refund", 1250),
        (2250, 2250, "partially_refunded", None, 0),
        (3000, 2250, "partially_refunded", None, 0),  # refunded more elsewhere: nothing more is owed
        (0, 0, "succeeded", None, 0),  # the policy owed nothing
        (0, 9000, "refund_pending", "refund", 4500),  # never more than was paid
        (4500, 4500, "refunded", None, 0),
    ],
)
def test_refund_status_and_settlement(
    refunded: int, due: int | None, status: str, action: str | None, owed: int
) -> None:
    paid = payment("succeeded", refunded=refunded, due=due)
    assert refund_status(paid) == status
    settled = replace(paid, status=refund_status(paid))
    assert settlement_action(settled) == action
    assert refund_owed(settled) == owed


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_an_unpaid_intent_of_a_cancelled_booking_is_cancelled(status: str) -> None:
    assert settlement_action(payment(status)) == "cancel"


def test_a_cancelled_intent_needs_nothing() -> None:
    assert settlement_action(payment("canceled")) is None


def test_money_that_cannot_confirm_is_owed_back_in_full() -> None:
    owed = refund_all(payment("succeeded", refunded=1000))
    assert (owed.refund_due, owed.status, refund_owed(owed)) == (4500, "refund_pending", 3500)


# --- effects only move forward ----------------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=4500), max_size=8), st.randoms(use_true_random=False))
def test_refund_reports_in_any_order_end_in_the_same_state(totals: list[int], rnd: object) -> None:
    start = payment("refund_pending", due=2250)
    forward = start
    for total in totals:
        after = with_refunded(forward, total)
        assert moves_forward(forward, after) and can_move(forward.status, after.status)
        forward = after
    shuffled = list(totals)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    backward = start
    for total in shuffled:
        backward = with_refunded(backward, total)
        backward = with_refunded(backward, total)  # a repeated report changes nothing
    assert forward == backward
    assert forward.amount_refunded == max([0, *totals])
    assert forward.status == refund_status(forward)


def test_every_move_drawn_in_the_payments_doc_is_allowed() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "payments.md").read_text()
    payment_machine = doc.split("### Payment", 1)[1].split("```", 2)[1]
    edges = re.findall(r"^\s*(\w+) --> (\w+):", payment_machine, flags=re.M)
    assert len(edges) >= 15
    for current, target in edges:
        assert can_move(current, target), f"docs/payments.md draws {current} -> {target}"
