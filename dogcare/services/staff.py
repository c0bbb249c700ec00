"""Staff use cases: the roster, check-in and check-out, the care card, owners, capacity.

Every method requires the staff role of its actor first (``Forbidden`` otherwise, before
anything is read or written); this is the only place these operations exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from dogcare.domain import lifecycle
from dogcare.domain.actor import Actor
from dogcare.domain.clock import utcnow
from dogcare.domain.model import Booking, Dog, Owner, RosterEntry, Vaccination
from dogcare.domain.vaccinations import VaccinationRules
from dogcare.domain.vocabulary import BookingStatus, ServiceType
from dogcare.repositories.base import Page
from dogcare.repositories.bookings import BookingRepository
from dogcare.repositories.lookups import LookupRepository
from dogcare.repositories.owners import OwnerRepository


@dataclass(frozen=True)
class CareCard:
    """What staff need at the door: the booking, the dog (each vaccination with its status), the owner."""

    booking: Booking
    dog: Dog
    vaccinations: tuple[tuple[Vaccination, str], ...]
    owner: Owner


class StaffService:
    def __init__(
        self,
        bookings: BookingRepository,
        owners: OwnerRepository,
        lookups: LookupRepository,
        vaccinations: VaccinationRules,
        default_daily_capacity: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.bookings = bookings
        self.owners = owners
        self.lookups = lookups
        self.vaccinations = vaccinations
        self.default_daily_capacity = default_daily_capacity
        self.clock = clock

    def roster(
        self, actor: Actor, day: date, service_type: str | None, limit: int, cursor: str | None
    ) -> Page[RosterEntry]:
        actor.require_staff()
        return self.bookings.roster(day, service_type, limit, cursor)

    def check_in(self, actor: Actor, booking_id: str) -> Booking:
        actor.require_staff()
        return self._transition(booking_id, BookingStatus.CHECKED_IN)

    def check_out(self, actor: Actor, booking_id: str) -> Booking:
        actor.require_staff()
        return self._transition(booking_id, BookingStatus.COMPLETED)

    def _transition(self, booking_id: str, target: BookingStatus) -> Booking:
        current = self.bookings.get(booking_id)
        lifecycle.require_transition(current.status, target)
        return self.bookings.transition(current, target, lifecycle.occupied(current), self.clock())

    def owners_page(self, actor: Actor, limit: int, cursor: str | None) -> Page[Owner]:
        actor.require_staff()
        return self.owners.list(limit, cursor)

    def set_capacity(self, actor: Actor, service_type: str, daily_capacity: int) -> dict[str, int]:
        actor.require_staff()
        self.bookings.set_capacity(service_type, daily_capacity)
        # The echo must show the write just made: a strongly consistent read of the base table
        # (an eventually consistent one may still return the previous setting).
        return self._capacity(consistent=True)

    def capacity(self, actor: Actor) -> dict[str, int]:
        """Each service's daily capacity (the default where none is set)."""
        actor.require_staff()
        return self._capacity(consistent=False)

    def _capacity(self, *, consistent: bool) -> dict[str, int]:
        configured = self.bookings.capacity_limits(consistent=consistent)
        return {s: configured.get(s, self.default_daily_capacity) for s in ServiceType}

    # --- the care card (read-only) -----------------------------------------------------

    def care_card(self, actor: Actor, booking_id: str) -> CareCard:
        """The booking (one GetItem), then its dog and owner (one BatchGetItem)."""
        actor.require_staff()
        booking = self.bookings.get(booking_id)
        stored, owner = self.lookups.dog_and_owner(booking.dog_id, booking.owner_id)
        today = self.clock().date()
        dog = self.vaccinations.assess(stored, today)
        # Each record's own status: the dog's overall status, asked of one vaccine at a time.
        statuses = tuple((v, self.vaccinations.record_status(v, today)) for v in dog.vaccinations)
        return CareCard(booking, dog, statuses, owner)


__all__ = ["CareCard", "StaffService"]
