"""The booking lifecycle: allowed status changes and when an owner may edit what."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from dogcare.domain.lifecycle import (
    TRANSITIONS,
    extended_hold,
    hold_deadline,
    hold_expired,
    require_instructions_editable,
    require_times_editable,
    require_transition,
)
from dogcare.domain.model import BOOKING_STATUSES
from dogcare.domain.vocabulary import ACTIVE_BOOKING_STATUSES
from dogcare.errors import InvalidTransition

ALLOWED = {
    ("pending", "confirmed"),
    ("pending", "cancelled"),
    ("confirmed", "checked_in"),
    ("confirmed", "cancelled"),
    ("checked_in", "completed"),
    ("pending", "expired"),  # the unpaid hold ran out (the sweeper)
    ("expired", "confirmed"),  # paid late while its places were still free
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(BOOKING_STATUSES, repeat=2)))
def test_every_transition(current: str, target: str) -> None:
    if (current, target) in ALLOWED:
        require_transition(current, target)
    else:
        with pytest.raises(InvalidTransition, match=f"a {current} booking cannot become {target}"):
            require_transition(current, target)


def test_unknown_status_allows_nothing() -> None:
    with pytest.raises(InvalidTransition):
        require_transition("lost", "pending")


def test_final_states_and_active_states() -> None:
    assert {s for s, nxt in TRANSITIONS.items() if not nxt} == {"completed", "cancelled"}
    assert set(ACTIVE_BOOKING_STATUSES) == {"pending", "confirmed", "checked_in"}
    assert set(TRANSITIONS) == set(BOOKING_STATUSES)


@pytest.mark.parametrize("status", BOOKING_STATUSES)
def test_times_editable_only_while_pending(status: str) -> None:
    if status == "pending":
        require_times_editable(status)
    else:
        with pytest.raises(InvalidTransition, match="pending"):
            require_times_editable(status)


@pytest.mark.parametrize("status", BOOKING_STATUSES)
def test_instructions_editable_until_check_in(status: str) -> None:
    if status in ("pending", "confirmed"):
        require_instructions_editable(status)
    else:
        with pytest.raises(InvalidTransition, match="before check-in"):
            require_instructions_editable(status)


NOW = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)


def test_a_hold_lasts_its_time_and_a_payment_only_extends_it() -> None:
    deadline = hold_deadline(NOW, timedelta(minutes=30))
    assert deadline == NOW + timedelta(minutes=30)
    assert extended_hold(deadline, NOW, timedelta(minutes=15)) == deadline  # never shortened
    later = NOW + timedelta(minutes=25)
    assert extended_hold(deadline, later, timedelta(minutes=15)) == later + timedelta(minutes=15)


@pytest.mark.parametrize("status", BOOKING_STATUSES)
def test_only_a_pending_booking_past_its_deadline_is_expired(status: str) -> None:
    deadline = NOW + timedelta(minutes=30)
    assert hold_expired(status, deadline, deadline) is (status == "pending")
    assert hold_expired(status, deadline, deadline - timedelta(seconds=1)) is False
    assert hold_expired(status, None, deadline + timedelta(days=1)) is False  # no hold: never expires
