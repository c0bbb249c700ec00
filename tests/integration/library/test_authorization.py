"""Every service decides who may act, from the actor it is given, for every public use case.

The cases are listed per public method: a method added to a service without a case here
fails ``test_every_public_use_case_has_a_case``, so no use case escapes these checks.

* a library user calling a staff use case with anyone but staff gets ``Forbidden`` and
  nothing is written;
* an owner can never reach another owner's data through any method: each method, called by
  Ben with Ana's ids, refuses or answers with nothing of Ana's, and Ana's items are unchanged;
* the system's use cases (the webhook, the sweep) refuse people, staff included.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from dogcare.commands import NewBooking, NewDog, NewPayment, RegisterOwner, UpdateBooking, UpdateDog, UpdateOwner
from dogcare.domain.actor import HOLD_SWEEPER, MAINTENANCE, PAYMENT_PROVIDER, Actor
from dogcare.domain.model import Booking, Dog, Owner, Payment
from dogcare.errors import DogcareError, Forbidden, NotFound
from dogcare.facade import Dogcare
from dogcare.services.bookings import BookingService
from dogcare.services.dogs import DogService
from dogcare.services.owners import OwnerService
from dogcare.services.payments import PaymentService
from dogcare.services.staff import StaffService
from dogcare.testing.factories import actor_of
from dogcare.testing.payment_gateway import InMemoryPaymentGateway

from .conftest import add_dog, at, book, nothing_written, register, snapshot, vaccinations

SERVICES: dict[str, type] = {
    "owners": OwnerService,
    "dogs": DogService,
    "bookings": BookingService,
    "payments": PaymentService,
    "staff": StaffService,
}
STAFF = Actor.staff("staff-1")
SYSTEM_ACTORS = (PAYMENT_PROVIDER, HOLD_SWEEPER, MAINTENANCE)


def public_use_cases() -> list[tuple[str, str]]:
    return [
        (name, method)
        for name, cls in SERVICES.items()
        for method, member in vars(cls).items()
        if not method.startswith("_") and inspect.isfunction(member)
    ]


@dataclass
class World:
    """Ana (an owner with a dog, a booking and a started payment) and Ben, another owner."""

    app: Dogcare
    ana: Owner
    dog: Dog
    booking: Booking
    payment: Payment
    ben: Actor

    def anas_items(self) -> list[str]:
        """Every stored item that names anything of Ana's, as JSON (to compare before/after)."""
        mine = (self.ana.id, self.dog.id, self.booking.id, self.payment.id)
        items = [json.dumps(i, sort_keys=True) for rows in snapshot(self.app).values() for i in rows]
        return sorted(i for i in items if any(m in i for m in mine))


@pytest.fixture
def world(app: Dogcare) -> World:
    app.payment_gateway = InMemoryPaymentGateway()  # before app.payments is first built
    ana = register(app, "sub-ana", name="Ana")
    dog = add_dog(app, ana)
    booking = book(app, ana, dog)
    payment = app.payments.create(actor_of(ana), NewPayment(booking_id=booking.id))
    ben = Actor("sub-ben")
    app.owners.register(ben, RegisterOwner(name="Ben"), "ben@example.com")
    return World(app, ana, dog, booking, payment, ben)


def _new_booking(w: World) -> NewBooking:
    return NewBooking(dog_id=w.dog.id, service_type="daycare", start_time=at(6, 9), end_time=at(6, 17))


# One call per public use case, by ``actor`` and aimed at Ana's data wherever it names any.
Call = Callable[[World, Actor], Any]
CALLS: dict[tuple[str, str], Call] = {
    ("owners", "register"): lambda w, a: w.app.owners.register(a, RegisterOwner(name="X"), "ana-too@example.com"),
    ("owners", "profile"): lambda w, a: w.app.owners.profile(a),
    ("owners", "update_profile"): lambda w, a: w.app.owners.update_profile(a, UpdateOwner(name="Changed")),
    ("dogs", "add"): lambda w, a: w.app.dogs.add(a, NewDog(name="Pup", size="small", vaccinations=vaccinations())),
    ("dogs", "get"): lambda w, a: w.app.dogs.get(a, w.dog.id),
    ("dogs", "list"): lambda w, a: w.app.dogs.list(a, 100, None),
    ("dogs", "update"): lambda w, a: w.app.dogs.update(a, w.dog.id, UpdateDog(name="Stolen")),
    ("dogs", "delete"): lambda w, a: w.app.dogs.delete(a, w.dog.id),
    ("bookings", "create"): lambda w, a: w.app.bookings.create(a, _new_booking(w)),
    ("bookings", "get"): lambda w, a: w.app.bookings.get(a, w.booking.id),
    ("bookings", "list"): lambda w, a: w.app.bookings.list(a, limit=100, cursor=None),
    ("bookings", "update"): lambda w, a: w.app.bookings.update(
        a, w.booking.id, UpdateBooking(special_instructions="mine now")
    ),
    ("bookings", "cancel"): lambda w, a: w.app.bookings.cancel(a, w.booking.id),
    ("bookings", "quote"): lambda w, a: w.app.bookings.quote(a, _new_booking(w)),
    ("bookings", "availability"): lambda w, a: w.app.bookings.availability(
        a, "daycare", date(2030, 3, 5), date(2030, 3, 6)
    ),
    ("payments", "create"): lambda w, a: w.app.payments.create(a, NewPayment(booking_id=w.booking.id)),
    ("payments", "get"): lambda w, a: w.app.payments.get(a, w.payment.id),
    ("payments", "cancellation_preview"): lambda w, a: w.app.payments.cancellation_preview(a, w.booking.id),
    ("payments", "handle_webhook"): lambda w, a: w.app.payments.handle_webhook(a, b"{}", "t=1,v1=forged"),
    ("staff", "roster"): lambda w, a: w.app.staff.roster(a, date(2030, 3, 5), None, 100, None),
    ("staff", "check_in"): lambda w, a: w.app.staff.check_in(a, w.booking.id),
    ("staff", "check_out"): lambda w, a: w.app.staff.check_out(a, w.booking.id),
    ("staff", "care_card"): lambda w, a: w.app.staff.care_card(a, w.booking.id),
    ("staff", "owners_page"): lambda w, a: w.app.staff.owners_page(a, 100, None),
    ("staff", "set_capacity"): lambda w, a: w.app.staff.set_capacity(a, "daycare", 0),
    ("staff", "capacity"): lambda w, a: w.app.staff.capacity(a),
}
SYSTEM_ONLY = {("payments", "handle_webhook")}


def test_every_public_use_case_has_a_case() -> None:
    missing = sorted(set(public_use_cases()) - set(CALLS))
    assert missing == [], f"add an authorization case for each of {missing}"


@pytest.mark.parametrize(("service", "method"), public_use_cases())
def test_every_use_case_takes_the_actor_first_and_no_owner_id(service: str, method: str) -> None:
    params = list(inspect.signature(getattr(SERVICES[service], method)).parameters)
    assert params[:2] == ["self", "actor"]
    assert not {"owner_id", "subject"} & set(params), "the actor names the owner; no caller may"


STAFF_CASES = [key for key in CALLS if key[0] == "staff"]


@pytest.mark.parametrize("who", [Actor("sub-ana"), *SYSTEM_ACTORS], ids=lambda a: a.subject)
@pytest.mark.parametrize(("service", "method"), STAFF_CASES)
def test_staff_use_cases_refuse_everyone_but_staff(world: World, service: str, method: str, who: Actor) -> None:
    with nothing_written(world.app), pytest.raises(Forbidden, match="staff function"):
        CALLS[service, method](world, who)


@pytest.mark.parametrize(("service", "method"), STAFF_CASES)
def test_staff_may_use_them(world: World, service: str, method: str) -> None:
    try:
        CALLS[service, method](world, STAFF)
    except Forbidden:  # pragma: no cover - the failure this test is about
        pytest.fail(f"staff were refused {service}.{method}")
    except DogcareError:
        pass  # a rule refused (a pending booking cannot be checked in): not the role


OWNER_CASES = [key for key in CALLS if key[0] != "staff"]


@pytest.mark.parametrize(("service", "method"), OWNER_CASES)
def test_an_owner_never_reaches_another_owners_data(world: World, service: str, method: str) -> None:
    before = world.anas_items()
    try:
        result = CALLS[service, method](world, world.ben)
    except (NotFound, Forbidden):
        result = None  # refused: like an unknown id, or not Ben's to run
    except DogcareError as refused:
        # Another refusal (an address already taken): it must not describe Ana's data.
        result = refused.detail
    shown = repr(result)
    for anas in (world.ana.id, world.dog.id, world.booking.id, world.payment.id, world.ana.email):
        assert anas not in shown, f"{service}.{method} showed Ben {anas}"
    assert world.anas_items() == before, f"{service}.{method} changed Ana's data for Ben"


@pytest.mark.parametrize(("service", "method"), sorted(SYSTEM_ONLY))
@pytest.mark.parametrize("who", [Actor("sub-ana"), STAFF], ids=lambda a: a.subject)
def test_system_use_cases_refuse_people(world: World, service: str, method: str, who: Actor) -> None:
    with nothing_written(world.app), pytest.raises(Forbidden, match="only the system"):
        CALLS[service, method](world, who)


@pytest.mark.parametrize("who", [Actor("sub-ana"), STAFF], ids=lambda a: a.subject)
def test_the_sweep_is_the_systems(world: World, who: Actor) -> None:
    with nothing_written(world.app), pytest.raises(Forbidden):
        world.app.holds.sweep(who)
    assert world.app.holds.sweep(HOLD_SWEEPER).expired == []


@pytest.mark.parametrize(("service", "method"), [key for key in OWNER_CASES if key not in SYSTEM_ONLY])
def test_the_system_acts_as_no_owner(world: World, service: str, method: str) -> None:
    before = snapshot(world.app)
    try:
        CALLS[service, method](world, MAINTENANCE)
    except Forbidden:
        pass
    else:
        # Only what is nobody's data may be read by anyone: the facility's availability.
        assert (service, method) == ("bookings", "availability")
    assert snapshot(world.app) == before
