"""Staff use cases. Every method checks the caller's role here, on the server."""

from __future__ import annotations

from datetime import date

from dogcare.auth.identity import Identity
from dogcare.domain.model import Booking, Owner, RosterEntry
from dogcare.errors import Forbidden
from dogcare.repositories.base import Page
from dogcare.services.bookings import BookingService
from dogcare.services.owners import OwnerService


def require_admin(actor: Identity) -> None:
    if not actor.is_admin:
        raise Forbidden("this is a staff function: the admin role is required")


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
