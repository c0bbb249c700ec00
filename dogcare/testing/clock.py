"""A clock a test moves by hand (``Dogcare`` takes any ``() -> datetime``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A Monday at 08:00 UTC, far from midnight, so "tomorrow" and "this week" are unambiguous.
DEFAULT_START = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)


class Clock:
    """Returns ``now`` until told otherwise; ``advance(hours=2)`` moves it forward."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or DEFAULT_START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


__all__ = ["DEFAULT_START", "Clock"]
