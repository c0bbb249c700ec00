"""Response shapes: what the API returns, as pydantic models (they document the OpenAPI spec).

Money leaves the API in major units as a fixed-point string (``"45.00"``) beside its
currency; timestamps are ISO 8601 UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from dogcare.domain.model import Booking, Dog, Owner, Payment, RosterEntry
from dogcare.domain.money import Money
from dogcare.domain.vaccinations import assessed_status

if TYPE_CHECKING:  # only the views' constructors name them: no service import at cold start
    from dogcare.services.bookings import Availability, DayAvailability, Quote
    from dogcare.services.payments import CancellationPreview
    from dogcare.services.staff import CareCard

T = TypeVar("T")


class View(BaseModel):
    # Built on first use, not at import: a cold start builds only the views its route returns.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class AddressView(View):
    street: str
    city: str
    state: str
    zip: str


class OwnerView(View):
    id: str
    name: str
    email: str
    phone: str | None
    address: AddressView | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, o: Owner) -> OwnerView:
        address = AddressView(**vars(o.address)) if o.address else None
        return cls(
            id=o.id,
            name=o.name,
            email=o.email,
            phone=o.phone,
            address=address,
            created_at=o.created_at,
            updated_at=o.updated_at,
            version=o.version,
        )


class VaccinationView(View):
    name: str
    expires_on: date


class DogView(View):
    id: str
    owner_id: str
    name: str
    breed: str | None
    age: int | None
    size: str
    vaccinations: list[VaccinationView]
    vaccination_status: str
    special_needs: list[str]
    emergency_contact: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, d: Dog) -> DogView:
        return cls(
            id=d.id,
            owner_id=d.owner_id,
            name=d.name,
            breed=d.breed,
            age=d.age,
            size=d.size,
            vaccinations=[VaccinationView(name=v.name, expires_on=v.expires_on) for v in d.vaccinations],
            vaccination_status=assessed_status(d),
            special_needs=list(d.special_needs),
            emergency_contact=d.emergency_contact,
            created_at=d.created_at,
            updated_at=d.updated_at,
            version=d.version,
        )


class BookingView(View):
    id: str
    owner_id: str
    dog_id: str
    service_type: str
    start_time: datetime
    end_time: datetime
    status: str
    price: str
    currency: str
    payment_id: str | None
    special_instructions: str | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    cancelled_at: datetime | None
    hold_expires_at: datetime | None = Field(
        None, description="While pending: when the unpaid booking stops holding its places (it then expires)"
    )
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, b: Booking) -> BookingView:
        return cls(
            id=b.id,
            owner_id=b.owner_id,
            dog_id=b.dog_id,
            service_type=b.service_type,
            start_time=b.start_time,
            end_time=b.end_time,
            status=b.status,
            price=b.price.major,
            currency=b.price.currency,
            payment_id=b.payment_id,
            special_instructions=b.special_instructions,
            checked_in_at=b.checked_in_at,
            checked_out_at=b.checked_out_at,
            cancelled_at=b.cancelled_at,
            hold_expires_at=b.hold_expires_at,
            created_at=b.created_at,
            updated_at=b.updated_at,
            version=b.version,
        )


class PaymentView(View):
    id: str
    owner_id: str
    booking_id: str
    amount: str
    currency: str
    status: str
    provider: str
    provider_reference: str | None
    amount_refunded: str
    failure_reason: str | None
    client_secret: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, p: Payment, include_secret: bool = False) -> PaymentView:
        return cls(
            id=p.id,
            owner_id=p.owner_id,
            booking_id=p.booking_id,
            amount=p.amount.major,
            currency=p.amount.currency,
            status=p.status,
            provider=p.provider,
            provider_reference=p.provider_reference,
            amount_refunded=Money(p.amount_refunded, p.amount.currency).major,
            failure_reason=p.failure_reason,
            client_secret=p.client_secret if include_secret else None,
            created_at=p.created_at,
            updated_at=p.updated_at,
            version=p.version,
        )


class RosterEntryView(View):
    day: date
    booking_id: str
    owner_id: str
    dog_id: str
    dog_name: str
    service_type: str
    start_time: datetime
    end_time: datetime
    status: str
    hold_expires_at: datetime | None = Field(
        None, description="While pending (an unpaid hold): when its places are released unless it is paid"
    )

    @classmethod
    def of(cls, r: RosterEntry) -> RosterEntryView:
        return cls(**vars(r))


class CapacityView(View):
    daycare: int
    boarding: int
    parking: int


class PageView(View, Generic[T]):
    items: list[T]
    next_cursor: str | None


class DayAvailabilityView(View):
    date: date
    capacity: int
    booked: int
    places_left: int

    @classmethod
    def of(cls, d: DayAvailability) -> DayAvailabilityView:
        return cls(date=d.day, capacity=d.capacity, booked=d.booked, places_left=d.places_left)


class QuoteView(View):
    service_type: str
    start_time: datetime
    end_time: datetime
    price: str
    currency: str
    available: bool
    days: list[DayAvailabilityView]

    @classmethod
    def of(cls, q: Quote) -> QuoteView:
        return cls(
            service_type=q.service_type,
            start_time=q.start,
            end_time=q.end,
            price=q.price.major,
            currency=q.price.currency,
            available=q.available,
            days=[DayAvailabilityView.of(d) for d in q.days],
        )


class AvailabilityView(View):
    service_type: str
    timezone: str
    days: list[DayAvailabilityView]

    @classmethod
    def of(cls, a: Availability) -> AvailabilityView:
        return cls(service_type=a.service_type, timezone=a.timezone, days=[DayAvailabilityView.of(d) for d in a.days])


class CancellationView(View):
    booking_id: str
    cancellable: bool
    refund: str | None
    currency: str
    refund_percent: int
    full_refund_until: datetime | None
    reason: str

    @classmethod
    def of(cls, c: CancellationPreview) -> CancellationView:
        return cls(
            booking_id=c.booking_id,
            cancellable=c.cancellable,
            refund=c.refund.major if c.refund is not None else None,
            currency=c.currency,
            refund_percent=c.refund_percent,
            full_refund_until=c.full_refund_until,
            reason=c.reason,
        )


class CareVaccinationView(VaccinationView):
    status: str


class CareDogView(DogView):
    """The dog as ``GET /dogs/{id}`` shows it, each vaccination with its own status."""

    vaccinations: list[CareVaccinationView]  # type: ignore[assignment]


class CareOwnerView(View):
    id: str
    name: str
    email: str
    phone: str | None


class CareCardView(View):
    booking: BookingView
    dog: CareDogView
    owner: CareOwnerView

    @classmethod
    def of(cls, card: CareCard) -> CareCardView:
        dog = DogView.of(card.dog).model_dump()
        dog["vaccinations"] = [
            CareVaccinationView(name=v.name, expires_on=v.expires_on, status=status) for v, status in card.vaccinations
        ]
        o = card.owner
        return cls(
            booking=BookingView.of(card.booking),
            dog=CareDogView(**dog),
            owner=CareOwnerView(id=o.id, name=o.name, email=o.email, phone=o.phone),
        )


class FieldErrorView(View):
    field: str
    message: str
    code: str


class ProblemView(View):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldErrorView] | None = None
