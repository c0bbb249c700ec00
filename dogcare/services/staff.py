"""Staff use cases. Every method checks the caller's role here, on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dogcare.auth.identity import Identity
from dogcare.domain.model import Booking, Dog, Owner, RosterEntry, Vaccination
from dogcare.domain.vaccinations import vaccination_status
from dogcare.errors import Forbidden
from dogcare.repositories.base import Page
from dogcare.services.bookings import BookingService
from dogcare.services.owners import OwnerService


def require_admin(actor: Identity) -> None:
    if not actor.is_admin:
        raise Forbidden("this is a staff function: the admin role is required")


@dataclass(frozen=True)
class CareCard:
    """What staff need at the door: the booking, the dog (each vaccination with its status), the owner."""

    booking: Booking
    dog: Dog
    vaccinations: tuple[tuple[Vaccination, str], ...]
    owner: Owner


class StaffService:
    def __init__(self, bookings: BookingService, owners: OwnerService) -> None:
        self.bookings = bookings
        self.owners = owners

    def roster(
        self, actor: Identity, day: date, service_type: str | None, limit: int, cursor: str | None
    ) -> Page[RosterEntry]:
        require_admin(actor)
        return self.bookings.roster(day, service_type, limit, cursor)

    def check_in(self, actor: Identity, booking_id: str) -> Booking:
        require_admin(actor)
        return self.bookings.check_in(booking_id)

    def check_out(self, actor: Identity, booking_id: str) -> Booking:
        require_admin(actor)
        return self.bookings.check_out(booking_id)

    def owners_page(self, actor: Identity, limit: int, cursor: str | None) -> Page[Owner]:
        require_admin(actor)
        return self.owners.list_owners(limit, cursor)

    def set_capacity(self, actor: Identity, service_type: str, daily_capacity: int) -> dict[str, int]:
        require_admin(actor)
        return self.bookings.set_capacity(service_type, daily_capacity)

    # --- the care card (read-only) -----------------------------------------------------

    def care_card(self, actor: Identity, booking_id: str) -> CareCard:
        """The booking (one GetItem), then its dog and owner (one BatchGetItem)."""
        require_admin(actor)
        booking = self.bookings.bookings.get(booking_id)
        dog_item, owner = self.bookings._lookups.dog_and_owner(booking.dog_id, booking.owner_id)
        dogs = self.bookings.dogs
        today = self.bookings.clock().date()
        dog = dogs.to_dog(dog_item, today)
        # Each record's own status: the dog's overall status, asked of one vaccine at a time.
        statuses = tuple((v, vaccination_status([v], [v.name], today, dogs.expiring_days)) for v in dog.vaccinations)
        return CareCard(booking, dog, statuses, owner)
