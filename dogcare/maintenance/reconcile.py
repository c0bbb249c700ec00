"""Reconciliation: re-derive every guard and counter from the bookings and owners.

From the booking items (their recorded plans) and the owner items, what must be stored:

- ``capacity``: one counter per service day, equal to the bookings that hold it (every
  booking but a cancelled one: a completed stay used its places);
- ``pending``: per owner, the number of pending bookings;
- ``schedule``: per dog, the intervals of its active bookings (a stay that is over may have
  been pruned already: its absence is not drift);
- ``email_guard``: one guard per owner's email, pointing at that owner, and no other;
- ``roster``: one day item per roster day of every booking that is not cancelled, with the
  booking's status and times (the sparse calendar index);
- ``schema``: bookings not yet at the current schema version (``dogcare migrate`` fixes them).

``reconcile(app)`` reports every difference as a ``Drift`` (kind, key, expected, actual).
With ``fix=True`` it repairs each with a write conditioned on the value it read (``SET used
= :expected`` only if ``used = :actual``): a request that changed the item since wins, and
the drift is reported as skipped instead of overwritten. A Scan is not a snapshot, so a
fix runs only for drift that a second, later check finds again with the same values: a
booking written while the first pass was reading never looks like drift to be "repaired".
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from dogcare.domain.clock import iso
from dogcare.domain.model import Booking
from dogcare.domain.scheduling import Stayplan, plan_stay
from dogcare.domain.skeleton import email_key
from dogcare.domain.vocabulary import ACTIVE_BOOKING_STATUSES, BookingStatus
from dogcare.maintenance.scan import scan_all
from dogcare.repositories.bookings import RELEASED, to_booking
from dogcare.storage import keys
from dogcare.storage.declarations import BOOKING_KEY, DOG_KEY
from dogcare.storage.entities import BOOKING_SCHEMA_VERSION, stamp_actions
from dogcare.storage.store import response_code, storage_errors

if TYPE_CHECKING:
    from dogcare.facade import Dogcare

# The statuses whose places and roster items were given back (the one list to extend when a
# status that releases them is added): every other booking holds what it recorded.
RELEASED_STATUSES = frozenset(RELEASED)  # the statuses whose places were given back
KINDS = ("capacity", "pending", "schedule", "email_guard", "roster", "schema")
ROSTER_FIELDS = ("booking_id", "owner_id", "dog_id", "service_type", "day", "start_time", "end_time", "status")


@dataclass(frozen=True)
class Drift:
    kind: str
    key: str  # "pk sk" of the item that is wrong (or missing)
    expected: Any  # None: the item should not exist
    actual: Any  # None: the item does not exist
    # What the repair needs beyond the values (e.g. the schedule's revision it read).
    detail: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def signature(self) -> str:
        return json.dumps([self.kind, self.key, self.expected, self.actual, self.detail], sort_keys=True, default=str)

    @property
    def pk(self) -> str:
        return self.key.split(" ", 1)[0]

    @property
    def sk(self) -> str:
        return self.key.split(" ", 1)[1]


@dataclass
class Report:
    drift: list[Drift] = field(default_factory=list)  # found (before any fix)
    fixed: list[Drift] = field(default_factory=list)
    skipped: list[tuple[Drift, str]] = field(default_factory=list)  # (drift, why it was not fixed)
    checked: Counter[str] = field(default_factory=Counter)  # items derived, per kind


def reconcile(app: Dogcare, *, fix: bool = False, now: datetime | None = None) -> Report:
    """Check everything; with ``fix``, repair the drift a second check confirms."""
    report = check(app, now=now)
    if not fix or not report.drift:
        return report
    again = {d.signature: d for d in check(app, now=now).drift}
    confirmed = [d for d in report.drift if d.signature in again]
    for d in report.drift:
        if d.signature not in again:
            report.skipped.append((d, "changed while checking (a request wrote it): run again"))
    fixed, skipped = repair(app, confirmed)
    report.fixed.extend(fixed)
    report.skipped.extend(skipped)
    return report


# --- deriving ------------------------------------------------------------------------------


@dataclass
class _Data:
    owners: dict[str, Any] = field(default_factory=dict)
    guards: dict[str, Any] = field(default_factory=dict)  # by pk
    dogs: dict[str, Any] = field(default_factory=dict)
    schedules: dict[str, Any] = field(default_factory=dict)  # by dog id
    bookings: list[tuple[Booking, int]] = field(default_factory=list)  # with its schema version
    days: dict[tuple[str, str], Any] = field(default_factory=dict)
    capacity: dict[str, Any] = field(default_factory=dict)  # by pk
    pending: dict[str, Any] = field(default_factory=dict)  # by pk


def _load(app: Dogcare) -> _Data:
    m = app.store.models
    data = _Data()
    for raw in scan_all(app.store):
        stamp = raw.get("entity_type", {}).get("S")
        if stamp == "owner":
            item = m.Owner.from_raw_data(raw)
            data.owners[item.id] = item
        elif stamp == "email_guard":
            data.guards[raw["pk"]["S"]] = m.EmailGuard.from_raw_data(raw)
        elif stamp == "dog":
            item = m.Dog.from_raw_data(raw)
            data.dogs[item.id] = item
        elif stamp == "dog_schedule":
            item = m.DogSchedule.from_raw_data(raw)
            data.schedules[item.dog_id] = item
        elif stamp == "booking":
            data.bookings.append(
                (to_booking(m.Booking.from_raw_data(raw)), int(raw.get("schema_version", {}).get("N", 0)))
            )
        elif stamp == "booking_day":
            data.days[(raw["pk"]["S"], raw["sk"]["S"])] = m.BookingDay.from_raw_data(raw)
        elif stamp == "capacity_counter":
            data.capacity[raw["pk"]["S"]] = m.CapacityCounter.from_raw_data(raw)
        elif stamp == "pending_counter":
            data.pending[raw["pk"]["S"]] = m.PendingCounter.from_raw_data(raw)
    return data


def _plan(app: Dogcare, booking: Booking) -> Stayplan:
    # A booking not migrated yet is reported as ``schema`` drift; its days are expected under
    # the configured zone meanwhile (what every change of it computed before it was recorded).
    return booking.plan or plan_stay(booking.service_type, booking.start_time, booking.end_time, app.settings.timezone)


def check(app: Dogcare, *, now: datetime | None = None) -> Report:
    """Every drift between what is stored and what the bookings and owners say it must be."""
    data = _load(app)
    plans = {b.id: _plan(app, b) for b, _ in data.bookings}
    report = Report()
    for kind, derive in (
        ("schema", _schema),
        ("capacity", _capacity),
        ("pending", _pending),
        ("schedule", _schedules),
        ("email_guard", _email_guards),
        ("roster", _roster),
    ):
        checked, drift = derive(data, plans, now or app.clock())
        report.checked[kind] += checked
        report.drift.extend(drift)
    return report


Derived = tuple[int, list[Drift]]  # (items checked, drift found)


def _schema(data: _Data, plans: dict[str, Stayplan], now: datetime) -> Derived:
    old = [(b, v) for b, v in data.bookings if v < BOOKING_SCHEMA_VERSION]
    key = "{} " + keys.PROFILE
    return len(data.bookings), [
        Drift("schema", key.format(keys.booking_pk(b.id)), BOOKING_SCHEMA_VERSION, v) for b, v in old
    ]


def _counters(wanted: Counter[str], stored: dict[str, Any], kind: str, sk: str) -> Derived:
    drift = []
    every = sorted(wanted.keys() | stored.keys())
    for pk in every:
        item = stored.get(pk)
        actual = int(item.used or 0) if item is not None else 0
        if actual != wanted.get(pk, 0):
            drift.append(Drift(kind, f"{pk} {sk}", wanted.get(pk, 0), actual, {"exists": item is not None}))
    return len(every), drift


def _capacity(data: _Data, plans: dict[str, Stayplan], now: datetime) -> Derived:
    use: Counter[str] = Counter()
    for b, _ in data.bookings:
        if b.status not in RELEASED_STATUSES:
            for day in plans[b.id].capacity_days:
                use[keys.capacity_pk(b.service_type, day)] += 1
    return _counters(use, data.capacity, "capacity", keys.COUNTER_SK)


def _pending(data: _Data, plans: dict[str, Stayplan], now: datetime) -> Derived:
    pending = Counter(keys.owner_pk(b.owner_id) for b, _ in data.bookings if b.status == BookingStatus.PENDING)
    return _counters(pending, data.pending, "pending", keys.PENDING_SK)


def _schedules(data: _Data, plans: dict[str, Stayplan], now: datetime) -> Derived:
    active: dict[str, list[Booking]] = defaultdict(list)
    for b, _ in data.bookings:
        if b.status in ACTIVE_BOOKING_STATUSES:
            active[b.dog_id].append(b)
    drift = []
    every = sorted(data.dogs.keys() | data.schedules.keys() | active.keys())
    for dog_id in every:
        sched = data.schedules.get(dog_id)
        actual = _intervals(sched) if sched is not None else None
        expected: dict[str, str] | None = None
        if dog_id in data.dogs or active.get(dog_id):
            expected = {
                b.id: plans[b.id].interval
                for b in active.get(dog_id, [])
                # A stay that is over may have been pruned by a later write of the schedule.
                if b.end_time > now or (actual is not None and b.id in actual)
            }
        if expected != actual:
            rev = int(sched.rev or 0) if sched is not None else None
            drift.append(Drift("schedule", f"{keys.dog_pk(dog_id)} {keys.SCHEDULE_SK}", expected, actual, {"rev": rev}))
    return len(every), drift


def _email_guards(data: _Data, plans: dict[str, Stayplan], now: datetime) -> Derived:
    claimed: dict[str, str] = {keys.email_pk(email_key(o.email)): o.id for o in data.owners.values()}
    drift = []
    every = sorted(claimed.keys() | data.guards.keys())
    for pk in every:
        guard = data.guards.get(pk)
        actual = guard.owner_id if guard is not None else None
        if actual != claimed.get(pk):
            drift.append(Drift("email_guard", f"{pk} {keys.EMAIL_SK}", claimed.get(pk), actual))
    return len(every), drift


def _roster(data: _Data, plans: dict[str, Stayplan], now: datetime) -> Derived:
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for b, _ in data.bookings:
        if b.status in RELEASED_STATUSES:
            continue
        for day in plans[b.id].roster_days:
            wanted[(keys.booking_pk(b.id), keys.booking_day_sk(day))] = _roster_fields(b, day)
    by_id = {b.id: b for b, _ in data.bookings}
    drift = []
    every = sorted(wanted.keys() | data.days.keys())
    for key in every:
        item = data.days.get(key)
        actual: dict[str, str] | None = None
        if item is not None:
            actual = {f: str(getattr(item, f)) for f in (*ROSTER_FIELDS, "gsi3pk", "gsi3sk")}
        if actual != wanted.get(key):
            booking = by_id.get(key[0].removeprefix(BOOKING_KEY.prefix))
            dog = data.dogs.get(booking.dog_id) if booking else None
            detail = {"dog_name": dog.name if dog else None}
            drift.append(Drift("roster", f"{key[0]} {key[1]}", wanted.get(key), actual, detail))
    return len(every), drift


def _intervals(sched: Any) -> dict[str, str]:
    raw = sched.intervals.as_dict() if hasattr(sched.intervals, "as_dict") else dict(sched.intervals or {})
    return {str(k): str(v) for k, v in raw.items()}


def _roster_fields(b: Booking, day: date) -> dict[str, str]:
    start = iso(b.start_time)
    return {
        "booking_id": b.id,
        "owner_id": b.owner_id,
        "dog_id": b.dog_id,
        "service_type": b.service_type,
        "day": day.isoformat(),
        "start_time": start,
        "end_time": iso(b.end_time),
        "status": b.status,
        "gsi3pk": keys.calendar_pk(day),
        "gsi3sk": keys.calendar_sk(b.service_type, start, b.id),
    }


# --- repairing ------------------------------------------------------------------------------


def repair(app: Dogcare, drift: Iterable[Drift]) -> tuple[list[Drift], list[tuple[Drift, str]]]:
    """Repair each drift with a write conditioned on its ``actual`` value."""
    fixed: list[Drift] = []
    skipped: list[tuple[Drift, str]] = []
    for d in drift:
        if d.kind == "schema":
            skipped.append((d, "the booking is at an old schema version: run dogcare migrate"))
            continue
        if d.kind == "roster" and d.expected is not None and d.actual is None and d.detail.get("dog_name") is None:
            skipped.append((d, "the booking's dog no longer exists: its roster item cannot be rebuilt"))
            continue
        try:
            with storage_errors():
                _REPAIRS[d.kind](app, d)
        except (UpdateError, PutError, DeleteError) as exc:
            if response_code(exc) != "ConditionalCheckFailedException":
                raise
            skipped.append((d, "changed since it was read (a request wrote it): not overwritten"))
            continue
        fixed.append(d)
    return fixed, skipped


def _counter(model: Any, d: Drift) -> None:
    item = model(d.pk, d.sk)
    if d.detail.get("exists"):
        item.update(actions=[model.used.set(d.expected)], condition=model.used == d.actual)
    else:
        item.update(actions=[model.used.set(d.expected), *stamp_actions(model)], condition=model.pk.does_not_exist())


def _fix_capacity(app: Dogcare, d: Drift) -> None:
    _counter(app.store.models.CapacityCounter, d)


def _fix_pending(app: Dogcare, d: Drift) -> None:
    _counter(app.store.models.PendingCounter, d)


def _fix_schedule(app: Dogcare, d: Drift) -> None:
    m = app.store.models.DogSchedule
    rev = d.detail.get("rev")
    if d.actual is None:
        dog_id = d.pk.removeprefix(DOG_KEY.prefix)
        m(d.pk, d.sk, dog_id=dog_id, intervals=d.expected, rev=1).save(condition=m.pk.does_not_exist())
    elif d.expected is None:
        m(d.pk, d.sk).delete(condition=m.rev == rev)
    else:
        # The revision is what every booking write checks: bumping it makes any write that
        # read the old schedule re-read it, and conditioning on it keeps ours from racing one.
        m(d.pk, d.sk).update(actions=[m.intervals.set(d.expected), m.rev.add(1)], condition=m.rev == rev)


def _fix_email_guard(app: Dogcare, d: Drift) -> None:
    m = app.store.models.EmailGuard
    if d.actual is None:
        m(d.pk, d.sk, owner_id=d.expected).save(condition=m.pk.does_not_exist())
    elif d.expected is None:
        m(d.pk, d.sk).delete(condition=m.owner_id == d.actual)
    else:
        m(d.pk, d.sk).update(actions=[m.owner_id.set(d.expected)], condition=m.owner_id == d.actual)


def _fix_roster(app: Dogcare, d: Drift) -> None:
    m = app.store.models.BookingDay
    if d.expected is None:
        m(d.pk, d.sk).delete(condition=m.status == d.actual["status"])
        return
    if d.actual is None:
        m(d.pk, d.sk, dog_name=d.detail["dog_name"], **d.expected).save(condition=m.pk.does_not_exist())
        return
    unchanged = (m.status == d.actual["status"]) & (m.start_time == d.actual["start_time"])
    actions = [getattr(m, name).set(value) for name, value in d.expected.items() if d.actual.get(name) != value]
    m(d.pk, d.sk).update(actions=actions, condition=unchanged)


_REPAIRS = {
    "capacity": _fix_capacity,
    "pending": _fix_pending,
    "schedule": _fix_schedule,
    "email_guard": _fix_email_guard,
    "roster": _fix_roster,
}

__all__ = ["KINDS", "Drift", "Report", "check", "reconcile", "repair"]
