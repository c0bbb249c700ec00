"""The booking lifecycle: which status changes are allowed, and what an owner may edit when."""

from __future__ import annotations

from datetime import datetime, timedelta

from dogcare.domain.model import Booking
from dogcare.domain.scheduling import Stayplan
from dogcare.domain.vocabulary import BookingStatus
from dogcare.errors import InvalidTransition, StorageUnavailable

# "expired": an unpaid hold whose time ran out; its places were released. Only money can bring
# it back (a late payment re-takes the places if they are still free).
B = BookingStatus
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    B.PENDING: frozenset({B.CONFIRMED, B.CANCELLED, B.EXPIRED}),
    B.CONFIRMED: frozenset({B.CHECKED_IN, B.CANCELLED}),
    B.CHECKED_IN: frozenset({B.COMPLETED}),
    B.COMPLETED: frozenset(),
    B.CANCELLED: frozenset(),
    B.EXPIRED: frozenset({B.CONFIRMED}),
}


def can_transition(current: str, target: str) -> bool:
    return current in TRANSITIONS and target in TRANSITIONS[BookingStatus(current)]


def require_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise InvalidTransition(f"a {current} booking cannot become {target}")


def require_times_editable(status: str) -> None:
    if status != B.PENDING:
        raise InvalidTransition(f"times can only change while the booking is pending (it is {status})")


def require_instructions_editable(status: str) -> None:
    if status not in (B.PENDING, B.CONFIRMED):
        raise InvalidTransition(f"special_instructions can only change before check-in (the booking is {status})")


def hold_deadline(now: datetime, hold: timedelta) -> datetime:
    """When a new unpaid booking stops holding its places."""
    return now + hold


def extended_hold(current: datetime | None, now: datetime, minimum: timedelta) -> datetime:
    """A started payment keeps the hold for at least ``minimum`` more (never shortens it)."""
    wanted = now + minimum
    return wanted if current is None or current < wanted else current


def hold_expired(status: str, hold_expires_at: datetime | None, now: datetime) -> bool:
    """Whether a booking is an unpaid hold whose time is up (only pending bookings expire)."""
    return status == B.PENDING and hold_expires_at is not None and hold_expires_at <= now


def occupied(booking: Booking) -> Stayplan:
    """What an existing booking holds: the plan recorded on it when its times were written.

    The one accessor every later change uses (cancel, reschedule, check-in/out, payment
    confirmation, expiry), so a change of the facility's zone or hours after booking never
    makes a change release or touch other days than the booking took.
    """
    if booking.plan is None:
        # An item from before bookings recorded their plan: recomputing it here, under
        # today's settings, is the bug the record exists to prevent; `dogcare migrate`
        # fills it in (with the zone the booking was made under) right after a deploy.
        raise StorageUnavailable(
            f"booking {booking.id} is awaiting a data migration (dogcare migrate); please retry shortly", 30
        )
    return booking.plan
