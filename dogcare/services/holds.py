"""Unpaid holds expire: a pending booking holds its places only for a while.

A new booking holds its places until ``hold_expires_at`` (``DOGCARE_HOLD_MINUTES`` after it
was made; starting a payment keeps it at least ``hold_payment_seconds`` more). The sweeper
(``handlers/sweeper.py`` every minute in AWS, a background thread of ``dogcare serve``
locally) finds holds whose deadline has passed through the sparse hold index, re-reads each
from the base table (the index is eventually consistent) and expires it in one transaction
that releases everything it held: capacity counters, roster days, the dog's time and the
owner's pending count. The transaction is conditioned on the booking still being pending
with the deadline that was read, so a payment confirmed (or started) meanwhile wins, and a
second sweep of the same hold changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dogcare.domain import lifecycle
from dogcare.domain.actor import Actor
from dogcare.domain.vocabulary import BookingStatus
from dogcare.errors import ConcurrentUpdate, InvalidTransition, NotFound
from dogcare.repositories.bookings import BookingRepository
from dogcare.storage.keys import HOLD_SHARDS

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    expired: list[str] = field(default_factory=list)  # bookings expired by this sweep
    skipped: int = 0  # found in the index but not (or no longer) expirable: paid, extended, gone
    more: bool = False  # the batch was used up: holds may be left for the next sweep


class HoldSweeper:
    def __init__(self, bookings: BookingRepository, clock: Callable[[], datetime], batch: int) -> None:
        """``batch``: how many holds one sweep expires at most (the settings' ``sweep_batch``)."""
        self.bookings = bookings
        self.clock = clock
        self.batch = batch

    def sweep(self, actor: Actor, batch: int | None = None) -> SweepResult:
        """Expire at most ``batch`` holds whose time is up; the system's work (``HOLD_SWEEPER``)."""
        actor.require_system()
        repo = self.bookings
        now = self.clock()
        budget = self.batch if batch is None else batch
        result = SweepResult()
        # Start from another shard each minute, so that a backlog in one shard cannot keep the
        # others waiting when the batch runs out.
        first = now.minute % HOLD_SHARDS
        for shard in [(first + i) % HOLD_SHARDS for i in range(HOLD_SHARDS)]:
            if budget <= 0:
                result.more = True
                break
            found = repo.expired_holds(shard, now, budget)
            if len(found) >= budget:
                result.more = True
            for candidate in found:
                budget -= 1
                if self._expire(candidate.id):
                    result.expired.append(candidate.id)
                else:
                    result.skipped += 1
        if result.expired:
            logger.info("expired %d unpaid holds (%d skipped)", len(result.expired), result.skipped)
        return result

    def _expire(self, booking_id: str) -> bool:
        repo = self.bookings
        try:
            booking = repo.get(booking_id)  # strongly consistent: the index entry may be stale
        except NotFound:
            return False
        clock_now = self.clock()
        if not lifecycle.hold_expired(booking.status, booking.hold_expires_at, clock_now):
            return False
        plan = lifecycle.occupied(booking)
        try:
            repo.transition(booking, BookingStatus.EXPIRED, plan, clock_now)
        except InvalidTransition:
            return False  # paid, cancelled or extended between our read and our write
        except ConcurrentUpdate as exc:
            logger.error("expiring hold %s failed: %s", booking_id, exc)
            return False
        return True


__all__ = ["HoldSweeper", "SweepResult"]
