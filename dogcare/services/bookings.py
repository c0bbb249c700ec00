"""Booking use cases of owners: the rules (times, vaccinations, overlap, capacity, price, lifecycle).

Each acts on the calling actor's own bookings (``actor.owner_id``); the staff operations on
bookings (roster, check-in/out, capacity) are ``dogcare.services.staff``'s.

The atomic parts (no overlap, capacity, pending cap) are enforced by the repository's
transactions; this service decides what to ask for and retries when a dog's schedule
moved on between its read and its write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from dogcare.commands import NewBooking, UpdateBooking
from dogcare.domain import lifecycle
from dogcare.domain.actor import Actor
from dogcare.domain.clock import local_date, to_utc, utcnow
from dogcare.domain.ids import id_for_request, new_id
from dogcare.domain.model import Booking, Dog
from dogcare.domain.money import Money
from dogcare.domain.pricing import PriceTable, quote
from dogcare.domain.scheduling import Facility, Stayplan, check_times, overlaps, plan_stay
from dogcare.domain.vaccinations import VaccinationRules
from dogcare.domain.vocabulary import ACTIVE_BOOKING_STATUSES, BookingStatus, ServiceType
from dogcare.errors import (
    BookingExists,
    ConcurrentUpdate,
    InvalidTransition,
    NotFound,
    OverlappingBooking,
    ScheduleChanged,
    ValidationFailed,
    VersionMismatch,
)
from dogcare.repositories.base import Page
from dogcare.repositories.bookings import MAX_TRANSACTION_ACTIONS, BookingRepository
from dogcare.repositories.dogs import Schedule
from dogcare.repositories.lookups import LookupRepository

SCHEDULE_RETRIES = 4
MAX_AVAILABILITY_DAYS = 62


class CancellationSettler(Protocol):
    """What happens to the money when a booking is cancelled (the payments side)."""

    def settle(self, before: Booking, after: Booking) -> None: ...

    def pending(self, booking: Booking) -> bool:
        """Whether a cancelled booking's money is not settled yet (the provider was down)."""
        ...


@dataclass(frozen=True)
class PlannedStay:
    """A new booking that passed every rule: its times, the days it takes, the dog read, its price."""

    start: datetime
    end: datetime
    plan: Stayplan
    dog: Dog
    schedule: Schedule
    daily_limit: int
    price: Money


@dataclass(frozen=True)
class DayAvailability:
    day: date
    capacity: int
    booked: int
    places_left: int


@dataclass(frozen=True)
class Quote:
    service_type: str
    start: datetime
    end: datetime
    price: Money
    days: tuple[DayAvailability, ...]
    available: bool


@dataclass(frozen=True)
class Availability:
    service_type: str
    timezone: str
    days: tuple[DayAvailability, ...]


@dataclass(frozen=True)
class BookingPolicy:
    facility: Facility
    prices: PriceTable
    vaccinations: VaccinationRules
    default_daily_capacity: int
    max_pending: int
    hold: timedelta = timedelta(minutes=30)  # how long an unpaid booking holds its places


class BookingService:
    def __init__(
        self,
        bookings: BookingRepository,
        lookups: LookupRepository,
        policy: BookingPolicy,
        clock: Callable[[], datetime] = utcnow,
        settlement: Callable[[], CancellationSettler] | None = None,
    ) -> None:
        """``settlement`` builds the payments side on the first cancellation with a payment, so a
        process that never touches a payment never imports the payment code (or the SDK)."""
        self.bookings = bookings
        self.lookups = lookups
        self.policy = policy
        self.clock = clock
        self._settlement = settlement

    # --- helpers ------------------------------------------------------------------------

    def _plan(self, service_type: str, start: datetime, end: datetime) -> Stayplan:
        """The plan for *new* times, under today's facility settings (create and reschedule only)."""
        return plan_stay(service_type, start, end, self.policy.facility.timezone)

    def _limit(self, configured: int | None) -> int:
        return self.policy.default_daily_capacity if configured is None else configured

    def _check_schedule(self, schedule: Schedule, booking_id: str | None, start: datetime, end: datetime) -> None:
        for other_id, (other_start, other_end) in schedule.intervals.items():
            if other_id != booking_id and overlaps(start, end, other_start, other_end):
                raise OverlappingBooking(
                    f"the dog is already booked from {other_start:%Y-%m-%d %H:%M} "
                    f"to {other_end:%Y-%m-%d %H:%M} UTC ({other_id})"
                )

    def _check_move_size(self, old: Stayplan, new: Stayplan) -> None:
        """Refuse up front a move one transaction cannot hold (DynamoDB allows 100 actions).

        Counted before anything is built, so the owner gets a reason instead of a 409 from a
        transaction the database would refuse anyway.
        """
        actions = self.bookings.reschedule_actions(old, new)
        if actions > MAX_TRANSACTION_ACTIONS:
            nights = len(new.capacity_days)
            raise ValidationFailed.field(
                "body.start_time",
                f"moving a stay of {nights} nights to these dates touches {actions} records, more than one "
                f"atomic change allows ({MAX_TRANSACTION_ACTIONS}); cancel and book again",
                "too_large_to_move",
            )

    def _check_vaccinations(self, dog: Dog, end: datetime) -> None:
        lapsed = self.policy.vaccinations.lapsed(dog, local_date(end, self.policy.facility.timezone))
        if lapsed:
            raise ValidationFailed.field(
                "body.dog_id",
                f"vaccinations missing or expiring before the booking ends: {', '.join(sorted(lapsed))}",
                "vaccination_required",
            )

    # --- owner use cases ----------------------------------------------------------------

    def _plan_and_price(
        self, owner_id: str, command: NewBooking, now: datetime, booking_id: str | None = None
    ) -> PlannedStay:
        """Every rule of a new booking, and its price: what ``create`` books and ``quote`` shows."""
        start, end = to_utc(command.start_time), to_utc(command.end_time)
        check_times(command.service_type, start, end, now, self.policy.facility)
        plan = self._plan(command.service_type, start, end)
        dog, schedule, configured = self.bookings.load_for_booking(command.dog_id, command.service_type)
        if dog is None or dog.owner_id != owner_id or schedule is None:
            raise NotFound("dog not found")
        self._check_vaccinations(dog, end)
        self._check_schedule(schedule, booking_id, start, end)
        nights = len(plan.capacity_days) if ServiceType(command.service_type) is ServiceType.BOARDING else 0
        price = quote(self.policy.prices, command.service_type, dog.size, start, end, nights)
        return PlannedStay(start, end, plan, dog, schedule, self._limit(configured), price)

    def create(self, actor: Actor, command: NewBooking, request_key: str | None = None) -> Booking:
        """Book one of the actor's dogs; with the client's ``request_key`` (its Idempotency-Key)
        the booking's id is derived from it, so a retry whose first attempt was stored but never
        answered gets that booking back instead of a second one or a conflict with itself."""
        owner_id = actor.owner_id
        now = self.clock()
        booking_id = id_for_request("booking", owner_id, request_key) if request_key else new_id("booking")
        for _ in range(SCHEDULE_RETRIES):
            planned = self._plan_and_price(owner_id, command, now, booking_id)
            booking = Booking(
                id=booking_id,
                owner_id=owner_id,
                dog_id=command.dog_id,
                service_type=command.service_type,
                start_time=planned.start,
                end_time=planned.end,
                status=BookingStatus.PENDING,
                price=planned.price,
                payment_id=None,
                special_instructions=command.special_instructions,
                created_at=now,
                updated_at=now,
                version=0,
                plan=planned.plan,
                hold_expires_at=lifecycle.hold_deadline(now, self.policy.hold),  # unpaid holds expire
            )
            try:
                return self.bookings.create(
                    booking,
                    planned.dog.name,
                    planned.schedule,
                    planned.plan,
                    planned.daily_limit,
                    self.policy.max_pending,
                    now,
                )
            except ScheduleChanged:
                continue  # another booking of this dog landed meanwhile: re-read, re-check
            except BookingExists:
                return self._stored_for_retry(owner_id, booking_id, command)
        raise ConcurrentUpdate("the dog's bookings kept changing; please retry")

    def _stored_for_retry(self, owner_id: str, booking_id: str, command: NewBooking) -> Booking:
        stored = self.bookings.get_for_owner(owner_id, booking_id)
        asked = (command.dog_id, command.service_type, to_utc(command.start_time), to_utc(command.end_time))
        if (stored.dog_id, stored.service_type, stored.start_time, stored.end_time) != asked:
            raise ValidationFailed.field(
                "header.Idempotency-Key", "this key was already used for another booking", "reused"
            )
        return stored

    def get(self, actor: Actor, booking_id: str) -> Booking:
        return self.bookings.get_for_owner(actor.owner_id, booking_id)

    def list(
        self,
        actor: Actor,
        *,
        limit: int,
        cursor: str | None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        status: str | None = None,
    ) -> Page[Booking]:
        if start_from is not None and start_to is not None and start_to < start_from:
            raise ValidationFailed.field("query.to", "'to' must not be before 'from'", "range")
        return self.bookings.list_for_owner(
            actor.owner_id,
            limit=limit,
            cursor=cursor,
            start_from=to_utc(start_from) if start_from else None,
            start_to=to_utc(start_to) if start_to else None,
            status=status,
        )

    def update(
        self, actor: Actor, booking_id: str, command: UpdateBooking, expected_version: int | None = None
    ) -> Booking:
        current = self.bookings.get_for_owner(actor.owner_id, booking_id)
        if expected_version is not None and expected_version != current.version:
            raise VersionMismatch(f"the booking is at version {current.version}, not {expected_version}")
        fields = command.model_dump(exclude_unset=True)
        times_changed = "start_time" in fields or "end_time" in fields
        if not times_changed:
            lifecycle.require_instructions_editable(current.status)
            if "special_instructions" not in fields:
                return current
            return self.bookings.update_instructions(current, command.special_instructions)
        lifecycle.require_times_editable(current.status)
        if current.payment_id:
            # A started payment is for the old price: moving the stay could confirm it at the
            # wrong amount if the owner completes that payment afterwards.
            raise InvalidTransition("times cannot change once a payment has started; cancel and book again")
        now = self.clock()
        start = to_utc(command.start_time) if command.start_time else current.start_time
        end = to_utc(command.end_time) if command.end_time else current.end_time
        check_times(current.service_type, start, end, now, self.policy.facility)
        old_plan = lifecycle.occupied(current)
        new_plan = self._plan(current.service_type, start, end)
        self._check_move_size(old_plan, new_plan)
        instructions = (
            command.special_instructions if "special_instructions" in fields else (current.special_instructions)
        )
        for _ in range(SCHEDULE_RETRIES):
            dog, schedule, configured = self.bookings.load_for_booking(current.dog_id, current.service_type)
            if dog is None or schedule is None:
                raise NotFound("the booking's dog no longer exists")
            self._check_vaccinations(dog, end)
            self._check_schedule(schedule, current.id, start, end)
            nights = len(new_plan.capacity_days) if current.service_type == ServiceType.BOARDING else 0
            changed = replace(
                current,
                start_time=start,
                end_time=end,
                price=quote(self.policy.prices, current.service_type, dog.size, start, end, nights),
                special_instructions=instructions,
                updated_at=now,
                plan=new_plan,
            )
            try:
                return self.bookings.reschedule(
                    current, changed, dog.name, schedule, old_plan, new_plan, self._limit(configured), now
                )
            except ScheduleChanged:
                continue
        raise ConcurrentUpdate("the dog's bookings kept changing; please retry")

    def cancel(self, actor: Actor, booking_id: str) -> Booking:
        current = self.bookings.get_for_owner(actor.owner_id, booking_id)
        settlement = self._settlement() if self._settlement is not None and current.payment_id else None
        if current.status == BookingStatus.CANCELLED and settlement is not None and settlement.pending(current):
            # An earlier cancellation could not settle the payment: a repeated cancel retries that.
            settlement.settle(current, current)
            return current
        lifecycle.require_transition(current.status, BookingStatus.CANCELLED)
        cancelled = self.bookings.transition(
            current, BookingStatus.CANCELLED, lifecycle.occupied(current), self.clock()
        )
        if settlement is not None:
            settlement.settle(current, cancelled)
        return cancelled

    # --- quotes and availability (read-only: nothing is written) -------------------------

    def _days(
        self, service_type: str, days: Sequence[date], daily_limit: int | None = None
    ) -> tuple[DayAvailability, ...]:
        usage = self.lookups.capacity_usage(service_type, days)
        limit = self._limit(usage.configured) if daily_limit is None else daily_limit
        return tuple(DayAvailability(d, limit, usage.used[d], max(0, limit - usage.used[d])) for d in days)

    def quote(self, actor: Actor, command: NewBooking) -> Quote:
        """What ``create`` would book and charge now, with the places left on each day it takes.

        The same rules and the same price as ``create`` (one ``_plan_and_price``); a full day is
        not an error here (``available`` is false), every other refusal is the one ``create`` makes.
        """
        planned = self._plan_and_price(actor.owner_id, command, self.clock())
        days = self._days(command.service_type, planned.plan.capacity_days, planned.daily_limit)
        available = all(d.places_left > 0 for d in days)
        return Quote(command.service_type, planned.start, planned.end, planned.price, days, available)

    def availability(self, actor: Actor, service_type: str, first: date, last: date) -> Availability:
        """Places per facility-local day from ``first`` to ``last`` (inclusive), at most 62 days.

        Facility-wide counts, no one's data: any actor may ask."""
        timezone = self.policy.facility.timezone
        today = local_date(self.clock(), timezone)
        if last < first:
            raise ValidationFailed.field("query.to", "'to' must not be before 'from'", "range")
        if first < today:
            raise ValidationFailed.field("query.from", f"'from' is before today ({today.isoformat()})", "in_past")
        span = (last - first).days + 1
        if span > MAX_AVAILABILITY_DAYS:
            raise ValidationFailed.field(
                "query.to", f"at most {MAX_AVAILABILITY_DAYS} days at a time (asked for {span})", "too_long"
            )
        days = [first + timedelta(days=i) for i in range(span)]
        return Availability(service_type, timezone, self._days(service_type, days))


__all__ = ["ACTIVE_BOOKING_STATUSES", "BookingPolicy", "BookingService", "CancellationSettler"]
