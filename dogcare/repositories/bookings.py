"""Bookings: every constrained write is one DynamoDB transaction.

A booking's write touches, atomically:
- the booking item (versioned: no lost updates);
- the dog's schedule item (revision-checked: no overlapping bookings of one dog);
- one capacity counter per service day (conditional: never above the daily capacity);
- the owner's pending-bookings counter (conditional: a cap on unpaid bookings);
- one roster item per day of the stay (the sparse calendar index for staff).
Cancelling releases all of them in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from pynamodb.expressions.update import Action

from dogcare.domain.clock import iso, parse_iso
from dogcare.domain.model import Booking, Dog, RosterEntry
from dogcare.domain.money import Money
from dogcare.domain.scheduling import Stayplan, schedule_interval  # Stayplan: also imported from here
from dogcare.domain.vocabulary import RELEASED_BOOKING_STATUSES, BookingStatus
from dogcare.errors import (
    BookingExists,
    CapacityFull,
    ConcurrentUpdate,
    InvalidTransition,
    LimitReached,
    ScheduleChanged,
    VersionMismatch,
)
from dogcare.repositories.base import Page, Repository
from dogcare.repositories.dogs import Schedule, to_dog, to_schedule
from dogcare.storage.batch import batch_get
from dogcare.storage.entities import MoneyMap, index_key_removals, key_item, key_of, new_item, stamp_actions
from dogcare.storage.patterns import (
    DAY_ROSTER,
    EXPIRED_HOLDS,
    GET_BOOKING,
    LIST_CAPACITY_SETTINGS,
    LIST_OWNER_BOOKINGS,
)
from dogcare.storage.store import storage_errors
from dogcare.storage.transactions import MAX_ITEMS, TransactionFailed, Tx

MAX_TRANSACTION_ACTIONS = MAX_ITEMS

# Statuses that give the booking's places back (counters, roster days, the dog's time).
RELEASED = RELEASED_BOOKING_STATUSES


def recorded_plan(item: Any) -> Stayplan | None:
    """The plan recorded on a booking item; None on an item from before bookings recorded it."""
    if item.capacity_days is None or item.roster_days is None or item.schedule_interval is None:
        return None
    return Stayplan(
        capacity_days=tuple(date.fromisoformat(d) for d in item.capacity_days),
        roster_days=tuple(date.fromisoformat(d) for d in item.roster_days),
        interval=item.schedule_interval,
        timezone=item.zone or "UTC",
    )


def to_booking(item: Any) -> Booking:
    def when(value: str | None) -> datetime | None:
        return parse_iso(value) if value else None

    return Booking(
        id=item.id,
        owner_id=item.owner_id,
        dog_id=item.dog_id,
        service_type=item.service_type,
        start_time=parse_iso(item.start_time),
        end_time=parse_iso(item.end_time),
        status=item.status,
        price=Money(int(item.price.amount), item.price.currency),
        payment_id=item.payment_id,
        special_instructions=item.special_instructions,
        created_at=parse_iso(item.created_at),
        updated_at=parse_iso(item.updated_at),
        version=int(item.version),
        checked_in_at=when(item.checked_in_at),
        checked_out_at=when(item.checked_out_at),
        cancelled_at=when(item.cancelled_at),
        plan=recorded_plan(item),
        hold_expires_at=when(item.hold_expires_at),
    )


class BookingRepository(Repository):
    # --- reads -----------------------------------------------------------------------

    def get(self, booking_id: str) -> Booking:
        return to_booking(self._get(GET_BOOKING, self.models.Booking, booking_id=booking_id))

    def get_for_owner(self, owner_id: str, booking_id: str) -> Booking:
        # never reveal another owner's booking exists (see Repository._get_owned)
        return to_booking(self._get_owned(GET_BOOKING, self.models.Booking, owner_id, booking_id=booking_id))

    def list_for_owner(
        self,
        owner_id: str,
        *,
        limit: int,
        cursor: str | None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        status: str | None = None,
    ) -> Page[Booking]:
        params: dict[str, Any] = {"owner_id": owner_id}
        variant = None
        if start_from is not None or start_to is not None:
            variant = "window"
            params["start_from"] = iso(start_from) if start_from else "0000"
            params["start_to"] = iso(start_to) if start_to else "9999"
        model = self.models.Booking
        items, next_cursor = self._query(
            LIST_OWNER_BOOKINGS,
            model,
            scope=owner_id,
            params=params,
            limit=limit,
            cursor=cursor,
            variant=variant,
            # A status filter narrows the owner's own partition after the key condition: the
            # read is still scoped to the caller by key; only the page may come back shorter.
            filter_condition=model.status == status if status else None,
            bound_extra={"status": status} if status else None,
        )
        return Page([to_booking(i) for i in items], next_cursor)

    def roster(self, day: date, service_type: str | None, limit: int, cursor: str | None) -> Page[RosterEntry]:
        params: dict[str, Any] = {"day": day.isoformat()}
        variant = None
        if service_type:
            params["service_type"] = service_type
            variant = "service"
        items, next_cursor = self._query(
            DAY_ROSTER,
            self.models.BookingDay,
            scope="admin",
            params=params,
            limit=limit,
            cursor=cursor,
            variant=variant,
        )
        entries = [
            RosterEntry(
                day=date.fromisoformat(i.day),
                booking_id=i.booking_id,
                owner_id=i.owner_id,
                dog_id=i.dog_id,
                dog_name=i.dog_name,
                service_type=i.service_type,
                start_time=parse_iso(i.start_time),
                end_time=parse_iso(i.end_time),
                status=i.status,
                hold_expires_at=parse_iso(i.hold_expires_at) if i.hold_expires_at else None,
            )
            for i in items
        ]
        return Page(entries, next_cursor)

    def capacity_limits(self, *, consistent: bool = False) -> dict[str, int]:
        items, _ = self._query(
            LIST_CAPACITY_SETTINGS,
            self.models.CapacityConfig,
            scope="config",
            params={},
            limit=100,
            cursor=None,
            consistent=consistent,
        )
        return {i.service_type: int(i.daily_capacity) for i in items}

    def set_capacity(self, service_type: str, daily_capacity: int) -> None:
        item = new_item(
            self.models.CapacityConfig,
            service_type=service_type,
            daily_capacity=daily_capacity,
            updated_at=iso(self.clock()),
        )
        with storage_errors():
            item.save()

    def capacity_used(self, service_type: str, day: date) -> int:
        m = self.models.CapacityCounter
        with storage_errors():
            try:
                key = m.declaration.key(service_type=service_type, day=day.isoformat())
                return int(m.get(*key, consistent_read=True).used)
            except m.DoesNotExist:
                return 0

    def pending_count(self, owner_id: str) -> int:
        m = self.models.PendingCounter
        with storage_errors():
            try:
                return int(m.get(*m.declaration.key(owner_id=owner_id), consistent_read=True).used)
            except m.DoesNotExist:
                return 0

    def load_for_booking(self, dog_id: str, service_type: str) -> tuple[Dog | None, Schedule | None, int | None]:
        """Dog, its schedule and the service's capacity setting in one BatchGetItem."""
        m = self.models
        dog_key = key_of(m.Dog, id=dog_id)
        schedule_key = key_of(m.DogSchedule, dog_id=dog_id)
        config_key = key_of(m.CapacityConfig, service_type=service_type)
        found = batch_get(self.store, [dog_key, schedule_key, config_key])
        dog_raw, sched_raw, config_raw = found.get(dog_key), found.get(schedule_key), found.get(config_key)
        is_dog = dog_raw is not None and dog_raw["entity_type"]["S"] == m.Dog.declaration.name
        dog = to_dog(m.Dog.from_raw_data(dog_raw)) if is_dog else None
        schedule = to_schedule(m.DogSchedule.from_raw_data(sched_raw)) if sched_raw else None
        limit = int(m.CapacityConfig.from_raw_data(config_raw).daily_capacity) if config_raw else None
        return dog, schedule, limit

    # --- writes ----------------------------------------------------------------------

    def _item(self, b: Booking) -> Any:
        # --- unpaid holds: the sparse hold index takes only a pending booking with a deadline
        # (the declaration's rule), so the deadline is recorded and indexed together ---
        hold = iso(b.hold_expires_at) if b.hold_expires_at else None
        item = new_item(
            self.models.Booking,
            id=b.id,
            owner_id=b.owner_id,
            dog_id=b.dog_id,
            service_type=b.service_type,
            start_time=iso(b.start_time),
            end_time=iso(b.end_time),
            status=b.status,
            price=MoneyMap(amount=b.price.amount, currency=b.price.currency),
            payment_id=b.payment_id,
            special_instructions=b.special_instructions,
            checked_in_at=iso(b.checked_in_at) if b.checked_in_at else None,
            checked_out_at=iso(b.checked_out_at) if b.checked_out_at else None,
            cancelled_at=iso(b.cancelled_at) if b.cancelled_at else None,
            created_at=iso(b.created_at),
            updated_at=iso(b.updated_at),
            hold_expires_at=hold,
        )
        if b.plan is not None:
            item.capacity_days = [d.isoformat() for d in b.plan.capacity_days]
            item.roster_days = [d.isoformat() for d in b.plan.roster_days]
            item.schedule_interval = b.plan.interval
            item.zone = b.plan.timezone
        else:
            item.schema_version = 1  # never claim the current shape without the recorded plan
        if b.version:
            item.version = b.version
        return item

    def _day_item(self, b: Booking, day: date, dog_name: str) -> Any:
        return new_item(
            self.models.BookingDay,
            booking_id=b.id,
            owner_id=b.owner_id,
            dog_id=b.dog_id,
            dog_name=dog_name,
            service_type=b.service_type,
            day=day.isoformat(),
            start_time=iso(b.start_time),
            end_time=iso(b.end_time),
            status=b.status,
            hold_expires_at=iso(b.hold_expires_at) if b.status == BookingStatus.PENDING and b.hold_expires_at else None,
        )

    def _schedule_update(
        self,
        tx: Tx,
        schedule: Schedule,
        now: datetime,
        put: Booking | None = None,
        drop: str | None = None,
        check_rev: bool = True,
    ) -> None:
        m = self.models.DogSchedule
        item = key_item(m, dog_id=schedule.dog_id)
        actions: list[Action] = [m.rev.add(1)]
        # Prune stays that are over, so the item stays small; the booking keeps the history.
        gone = {bid for bid, (_, end) in schedule.intervals.items() if end <= now}
        if drop is not None:
            gone.add(drop)
        if put is not None:
            gone.discard(put.id)
        actions.extend(m.intervals[booking_id].remove() for booking_id in sorted(gone))
        if put is not None:
            interval = put.plan.interval if put.plan else schedule_interval(put.start_time, put.end_time)
            actions.append(m.intervals[put.id].set(interval))
        condition = (m.rev == schedule.rev) if check_rev else m.pk.exists()
        tx.update("schedule", item, actions, condition)

    def _counter_changes(
        self, tx: Tx, service_type: str, add: Iterable[date], remove: Iterable[date], limit: int
    ) -> None:
        m = self.models.CapacityCounter
        for day in add:
            item = key_item(m, service_type=service_type, day=day.isoformat())
            tx.update(
                f"capacity:{day.isoformat()}",
                item,
                [m.used.add(1), *stamp_actions(m)],
                m.used.does_not_exist() | (m.used < limit),
            )
        for day in remove:
            item = key_item(m, service_type=service_type, day=day.isoformat())
            tx.update(f"release:{day.isoformat()}", item, [m.used.add(-1)], m.used >= 1)

    def _pending_change(self, tx: Tx, owner_id: str, delta: int, cap: int | None = None) -> None:
        m = self.models.PendingCounter
        item = key_item(m, owner_id=owner_id)
        if delta > 0:
            assert cap is not None
            tx.update("pending", item, [m.used.add(1), *stamp_actions(m)], m.used.does_not_exist() | (m.used < cap))
        else:
            tx.update("pending_release", item, [m.used.add(-1)], m.used >= 1)

    def create(
        self,
        booking: Booking,
        dog_name: str,
        schedule: Schedule,
        plan: Stayplan,
        daily_limit: int,
        pending_cap: int,
        now: datetime,
    ) -> Booking:
        if daily_limit <= 0:
            raise CapacityFull(f"{booking.service_type} is not offered on these days (capacity 0)")
        m = self.models
        tx = Tx(self.store)
        tx.put("booking", self._item(booking), m.Booking.pk.does_not_exist())
        for day in plan.roster_days:
            tx.put(f"day:{day.isoformat()}", self._day_item(booking, day, dog_name))
        self._schedule_update(tx, schedule, now, put=booking)
        self._counter_changes(tx, booking.service_type, plan.capacity_days, (), daily_limit)
        self._pending_change(tx, booking.owner_id, +1, pending_cap)
        self._commit(tx, creating=True)
        return replace(booking, version=1)

    def _commit(self, tx: Tx, *, creating: bool = False) -> None:
        try:
            tx.commit()
        except TransactionFailed as exc:
            failed = exc.failed
            if creating and "booking" in failed:
                raise BookingExists() from exc  # whatever else failed: that booking took it
            if "schedule" in failed:
                raise ScheduleChanged() from exc
            full = [label.split(":", 1)[1] for label in failed if label.startswith("capacity:")]
            if full:
                raise CapacityFull(f"no places left on {', '.join(sorted(full))}") from exc
            if "pending" in failed:
                raise LimitReached("too many unpaid bookings; pay or cancel one first") from exc
            if "booking" in failed:
                raise ConcurrentUpdate("the booking was changed by another request") from exc
            raise ConcurrentUpdate(f"the change could not be applied ({', '.join(failed)})") from exc

    @staticmethod
    def reschedule_actions(old: Stayplan, new: Stayplan) -> int:
        """How many actions ``reschedule`` puts into its transaction for this move: the booking,
        the dog's schedule, a delete per roster day left, a put per roster day of the new
        times, a counter update per capacity day gained or given back."""
        return (
            2
            + len(set(old.roster_days) - set(new.roster_days))
            + len(new.roster_days)
            + len(set(new.capacity_days) ^ set(old.capacity_days))
        )

    def reschedule(
        self,
        current: Booking,
        changed: Booking,
        dog_name: str,
        schedule: Schedule,
        old: Stayplan,
        new: Stayplan,
        daily_limit: int,
        now: datetime,
    ) -> Booking:
        m = self.models
        item = self._item(changed)
        item.version = current.version
        tx = Tx(self.store)
        # A linked payment is for the old price: the move and the link exclude each other atomically.
        tx.put("booking", item, (m.Booking.status == BookingStatus.PENDING) & m.Booking.payment_id.does_not_exist())
        for day in old.roster_days:
            if day not in new.roster_days:
                day_item = key_item(m.BookingDay, booking_id=current.id, day=day.isoformat())
                tx.delete(f"day:{day.isoformat()}", day_item)
        for day in new.roster_days:
            tx.put(f"day:{day.isoformat()}", self._day_item(changed, day, dog_name))
        self._schedule_update(tx, schedule, now, put=changed)
        added = [d for d in new.capacity_days if d not in old.capacity_days]
        removed = [d for d in old.capacity_days if d not in new.capacity_days]
        self._counter_changes(tx, changed.service_type, added, removed, daily_limit)
        assert len(tx) == self.reschedule_actions(old, new)  # the count the service refuses by
        try:
            self._commit(tx)
        except ConcurrentUpdate as exc:
            raise VersionMismatch("the booking was changed by another request") from exc
        return replace(changed, version=current.version + 1)

    def update_instructions(self, current: Booking, instructions: str | None) -> Booking:
        m = self.models.Booking
        item = self._item(current)
        now = self.clock()
        tx = Tx(self.store)
        tx.update(
            "booking",
            item,
            [
                m.special_instructions.set(instructions) if instructions else m.special_instructions.remove(),
                m.updated_at.set(iso(now)),
            ],
            m.status.is_in(BookingStatus.PENDING, BookingStatus.CONFIRMED),
        )
        try:
            tx.commit()
        except TransactionFailed as exc:
            raise VersionMismatch("the booking was changed by another request") from exc
        return replace(current, special_instructions=instructions, updated_at=now, version=current.version + 1)

    def transition(
        self,
        current: Booking,
        target: str,
        plan: Stayplan,
        now: datetime,
        *,
        schedule: Schedule | None = None,
    ) -> Booking:
        """Move a booking to ``target`` and keep counters, schedule and roster in step."""
        tx = Tx(self.store)
        changed = self.add_transition(tx, current, target, plan, now, schedule=schedule)
        try:
            tx.commit()
        except TransactionFailed as exc:
            if "booking" in exc.failed:
                raise InvalidTransition(f"the booking is no longer {current.status}") from exc
            raise ConcurrentUpdate(f"the change could not be applied ({', '.join(exc.failed)})") from exc
        return changed

    def add_transition(
        self,
        tx: Tx,
        current: Booking,
        target: str,
        plan: Stayplan,
        now: datetime,
        *,
        schedule: Schedule | None = None,
    ) -> Booking:
        """Add the writes of a status change to ``tx`` (so payments can join the same transaction)."""
        m = self.models
        B = m.Booking
        item = self._item(current)
        stamp = iso(now)
        actions: list[Action] = [B.status.set(target), B.updated_at.set(stamp)]
        changed = replace(current, status=target, updated_at=now, version=current.version + 1)
        if target == BookingStatus.CHECKED_IN:
            actions.append(B.checked_in_at.set(stamp))
            changed = replace(changed, checked_in_at=now)
        elif target == BookingStatus.COMPLETED:
            actions.append(B.checked_out_at.set(stamp))
            changed = replace(changed, checked_out_at=now)
        elif target == BookingStatus.CANCELLED:
            actions.append(B.cancelled_at.set(stamp))
            changed = replace(changed, cancelled_at=now)
        condition = B.status == current.status
        # --- unpaid holds: leaving pending leaves the hold index; expiring needs the deadline
        # to be the one read (a payment started meanwhile extends it) ---
        if current.status == BookingStatus.PENDING:
            actions += [*index_key_removals(B, "gsi3"), B.hold_expires_at.remove()]
            changed = replace(changed, hold_expires_at=None)
        if target == BookingStatus.EXPIRED:
            assert current.hold_expires_at is not None, "only a hold expires"
            condition = condition & (B.hold_expires_at == iso(current.hold_expires_at)) & (B.hold_expires_at <= stamp)
        tx.update("booking", item, actions, condition)
        Day = m.BookingDay
        for day in plan.roster_days:
            day_item = key_item(Day, booking_id=current.id, day=day.isoformat())
            if target in RELEASED:
                tx.delete(f"day:{day.isoformat()}", day_item)  # the calendar index is sparse: active only
            else:
                actions_day = [Day.status.set(target), Day.hold_expires_at.remove()]
                tx.update(f"day:{day.isoformat()}", day_item, actions_day, Day.pk.exists())
        if target in RELEASED:
            self._counter_changes(tx, current.service_type, (), plan.capacity_days, 0)
        if current.status == BookingStatus.PENDING and target in (BookingStatus.CONFIRMED, *RELEASED):
            self._pending_change(tx, current.owner_id, -1)
        if target in (BookingStatus.COMPLETED, *RELEASED):
            sched = schedule or Schedule(current.dog_id, {}, 0)
            self._schedule_update(tx, sched, now, drop=current.id, check_rev=False)
        return changed

    # --- unpaid holds ----------------------------------------------------------------

    def expired_holds(self, shard: int, until: datetime, limit: int) -> list[Booking]:
        """Holds of one shard whose deadline is at or before ``until``, oldest first (one Query).

        Read from a GSI, so possibly stale: callers re-read each booking before acting on it.
        """
        items, _ = self._query(
            EXPIRED_HOLDS,
            self.models.Booking,
            scope="sweeper",
            params={"shard": str(shard), "until": iso(until)},
            limit=limit,
            cursor=None,
        )
        return [to_booking(i) for i in items]

    def add_revival(
        self,
        tx: Tx,
        current: Booking,
        dog_name: str,
        schedule: Schedule,
        plan: Stayplan,
        daily_limit: int,
        now: datetime,
    ) -> Booking:
        """Add to ``tx`` the writes that bring an expired hold back as ``confirmed`` (it was paid
        late): its places are taken again under the same conditions as a new booking (capacity,
        the dog's schedule revision), and the owner's pending counter is left alone (an expired
        hold was already counted out)."""
        m = self.models
        B = m.Booking
        confirmed = replace(current, status=BookingStatus.CONFIRMED, updated_at=now, hold_expires_at=None)
        item = self._item(current)
        tx.update(
            "booking",
            item,
            [B.status.set(BookingStatus.CONFIRMED), B.updated_at.set(iso(now))],
            B.status == BookingStatus.EXPIRED,
        )
        for day in plan.roster_days:
            tx.put(f"day:{day.isoformat()}", self._day_item(confirmed, day, dog_name))
        self._schedule_update(tx, schedule, now, put=confirmed)
        self._counter_changes(tx, current.service_type, plan.capacity_days, (), daily_limit)
        return replace(confirmed, version=current.version + 1)
