"""Owners, dogs, bookings and payments with valid defaults, made through the public services.

Every factory goes through the same use case an API request would (``app.owners.register``,
``app.dogs.add``, ...), acting as the owner it makes things for (:func:`actor_of`), so what it
makes obeys every rule and constraint; a test names only what it cares about. Defaults: a
fresh owner subject each call, a large dog whose required vaccinations are valid for two
years from the app's clock, and a daycare day (09:00-17:00 in the facility's time zone) on
the first weekday after the app's today.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dogcare.commands import NewBooking, NewDog, NewPayment, RegisterOwner, VaccinationInput
from dogcare.domain.actor import PAYMENT_PROVIDER, Actor
from dogcare.domain.model import Booking, Dog, Owner, Payment
from dogcare.domain.vocabulary import ServiceType
from dogcare.facade import Dogcare
from dogcare.payments.gateway import EVENT_INTENT_SUCCEEDED
from dogcare.settings import Settings
from dogcare.testing.payment_gateway import InMemoryPaymentGateway

VALID_FOR = timedelta(days=730)
# How long each service lasts by default: a day of daycare, three nights of boarding, two
# hours of parking.
BOARDING_NIGHTS = 3
PARKING_HOURS = 2


def unique_subject(prefix: str = "sub") -> str:
    """A login subject no other call returns (owners are keyed by their subject)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def today(app: Dogcare) -> date:
    """The app clock's date in the facility's time zone."""
    return app.clock().astimezone(ZoneInfo(app.settings.timezone)).date()


def next_weekday(app: Dogcare, after: date | None = None) -> date:
    """The first Monday-to-Friday strictly after ``after`` (default: the app's today)."""
    day = (after or today(app)) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def local_time(app: Dogcare, day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day`` in the facility's time zone, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(app.settings.timezone))


def vaccinations(
    until: date | None = None, *, app: Dogcare | None = None, **overrides: date | None
) -> list[VaccinationInput]:
    """Every vaccine the app requires, valid until ``until`` (default: two years after the app's
    today, or after the real today without an app). ``rabies=None`` leaves one out;
    ``rabies=<date>`` gives it another expiry."""
    if until is None:
        until = (today(app) if app is not None else date.today()) + VALID_FOR
    required = app.settings.required_vaccinations if app is not None else Settings.required_vaccinations
    expiries: dict[str, date | None] = dict.fromkeys(required, until)
    expiries.update(overrides)
    return [VaccinationInput(name=name, expires_on=day) for name, day in expiries.items() if day is not None]


# Who each owner made here is: an owner's id is derived from their subject, so the map only
# remembers what cannot be computed back (and is never wrong: one id, one subject).
_ACTORS: dict[str, Actor] = {}


def register_owner(
    app: Dogcare, subject: str | None = None, *, name: str = "Ana", email: str | None = None, **fields: Any
) -> Owner:
    """A registered owner (a fresh subject, ``{subject}@example.com``, unless given)."""
    actor = Actor(subject or unique_subject())
    _ACTORS[actor.owner_id] = actor
    email = email or f"{actor.subject}@example.com"
    return app.owners.register(actor, RegisterOwner(name=name, **fields), email)


def actor_of(owner: Owner | str) -> Actor:
    """The person acting as ``owner`` (an Owner or an owner id) made by :func:`register_owner`."""
    owner_id = owner if isinstance(owner, str) else owner.id
    try:
        return _ACTORS[owner_id]
    except KeyError:
        raise LookupError(f"{owner_id} was not made by register_owner: build its Actor(subject) instead") from None


def add_dog(app: Dogcare, owner: Owner, *, name: str = "Rex", size: str = "large", **fields: Any) -> Dog:
    """A dog of ``owner`` (large, every required vaccine valid, unless given)."""
    fields.setdefault("vaccinations", vaccinations(app=app))
    command = NewDog(name=name, size=size, **fields)  # type: ignore[arg-type]  # pydantic checks it
    return app.dogs.add(actor_of(owner), command)


def stay_times(app: Dogcare, service: str, start: datetime | None = None) -> tuple[datetime, datetime]:
    """Default times for ``service``: from 09:00 on the next weekday (or ``start``), a day of
    daycare to 17:00, ``BOARDING_NIGHTS`` nights of boarding, ``PARKING_HOURS`` of parking."""
    start = start or local_time(app, next_weekday(app), 9)
    if service == ServiceType.BOARDING:
        return start, start + timedelta(days=BOARDING_NIGHTS)
    if service == ServiceType.PARKING:
        return start, start + timedelta(hours=PARKING_HOURS)
    return start, start.replace(hour=17, minute=0)


def book(
    app: Dogcare,
    owner: Owner,
    dog: Dog,
    service: str = ServiceType.DAYCARE,
    start: datetime | None = None,
    end: datetime | None = None,
    **fields: Any,
) -> Booking:
    """A pending booking of ``dog`` (default times from :func:`stay_times`)."""
    default_start, default_end = stay_times(app, service, start)
    command = NewBooking(
        dog_id=dog.id,
        service_type=service,  # type: ignore[arg-type]  # pydantic checks it against the Literal
        start_time=default_start,
        end_time=end or default_end,
        **fields,
    )
    return app.bookings.create(actor_of(owner), command)


def start_payment(app: Dogcare, owner: Owner, booking: Booking) -> Payment:
    """The booking's payment, started (an intent, not yet paid); carries the client secret."""
    return app.payments.create(actor_of(owner), NewPayment(booking_id=booking.id))


def deliver(app: Dogcare, gateway: InMemoryPaymentGateway, event: str | dict[str, Any]) -> str:
    """Sign one of the gateway's events (by id, or as a dict) and hand it to the webhook."""
    body, signature = gateway.signed_event(event)
    return app.payments.handle_webhook(PAYMENT_PROVIDER, body, signature)


def last_event(gateway: InMemoryPaymentGateway, event_type: str) -> str:
    """The id of the gateway's latest event of ``event_type``."""
    return str(gateway.events_of(event_type)[-1]["id"])


@dataclass(frozen=True)
class Paid:
    booking: Booking
    payment: Payment


def pay(app: Dogcare, gateway: InMemoryPaymentGateway, owner: Owner, booking: Booking) -> Paid:
    """Pay for a pending booking the way money arrives: start the payment, let the card succeed
    at the (in-memory) provider, deliver the provider's webhook. The booking is then confirmed."""
    payment = start_payment(app, owner, booking)
    gateway.succeed(str(payment.provider_reference))
    outcome = deliver(app, gateway, last_event(gateway, EVENT_INTENT_SUCCEEDED))
    if outcome != "applied":
        raise AssertionError(f"the payment's webhook was not applied ({outcome})")
    return Paid(app.booking_repository.get(booking.id), app.payment_repository.get(payment.id))


__all__ = [
    "BOARDING_NIGHTS",
    "PARKING_HOURS",
    "VALID_FOR",
    "Paid",
    "actor_of",
    "add_dog",
    "book",
    "deliver",
    "last_event",
    "local_time",
    "next_weekday",
    "pay",
    "register_owner",
    "start_payment",
    "stay_times",
    "today",
    "unique_subject",
    "vaccinations",
]
