"""The entities as plain, immutable data types.

Repositories turn stored items into these; services and handlers only ever see these.
Timestamps are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from dogcare.domain.money import Money
from dogcare.domain.scheduling import Stayplan
from dogcare.domain.vocabulary import BookingStatus, PaymentStatus, ServiceType

SERVICE_TYPES: tuple[ServiceType, ...] = tuple(ServiceType)
DOG_SIZES = ("small", "medium", "large", "giant")
BOOKING_STATUSES: tuple[BookingStatus, ...] = tuple(BookingStatus)
PAYMENT_STATUSES: tuple[PaymentStatus, ...] = tuple(PaymentStatus)


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    zip: str


@dataclass(frozen=True)
class Owner:
    id: str
    name: str
    email: str
    phone: str | None
    address: Address | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class Vaccination:
    name: str
    expires_on: date


@dataclass(frozen=True)
class Dog:
    id: str
    owner_id: str
    name: str
    breed: str | None
    age: int | None
    size: str
    vaccinations: tuple[Vaccination, ...]
    # Derived, never stored: the services assess it by the facility's rules and today
    # (``VaccinationRules.assess``); None on a dog as the repository read it.
    vaccination_status: str | None
    special_needs: tuple[str, ...]
    emergency_contact: str | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class Booking:
    id: str
    owner_id: str
    dog_id: str
    service_type: str
    start_time: datetime
    end_time: datetime
    status: str
    price: Money
    payment_id: str | None
    special_instructions: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    cancelled_at: datetime | None = None
    # What the booking took when its times were written (None: an item from before the
    # booking recorded it, until ``dogcare migrate`` fills it in).
    plan: Stayplan | None = None
    # While pending: when the unpaid hold on its places lapses (the sweeper then expires it).
    hold_expires_at: datetime | None = None


@dataclass(frozen=True)
class Payment:
    id: str
    owner_id: str
    booking_id: str
    amount: Money
    status: str
    provider: str
    provider_reference: str | None
    amount_refunded: int
    created_at: datetime
    updated_at: datetime
    version: int
    failure_reason: str | None = None
    # The total refund owed after a cancellation (minor units); None until one is decided.
    refund_due: int | None = None
    client_secret: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RosterEntry:
    """One booked dog on one day of the staff roster."""

    day: date
    booking_id: str
    owner_id: str
    dog_id: str
    dog_name: str
    service_type: str
    start_time: datetime
    end_time: datetime
    status: str
    hold_expires_at: datetime | None = None  # set while the booking is an unpaid hold
