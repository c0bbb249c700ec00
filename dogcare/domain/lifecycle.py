"""The booking lifecycle: which status changes are allowed, and what an owner may edit when."""

from __future__ import annotations

from dogcare.errors import InvalidTransition

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"checked_in", "cancelled"}),
    "checked_in": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}


def require_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"a {current} booking cannot become {target}")


def require_times_editable(status: str) -> None:
    if status != "pending":
        raise InvalidTransition(f"times can only change while the booking is pending (it is {status})")


def require_instructions_editable(status: str) -> None:
    if status not in ("pending", "confirmed"):
        raise InvalidTransition(f"special_instructions can only change before check-in (the booking is {status})")
