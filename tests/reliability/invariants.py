"""What must hold of the stored data at any moment, recomputed from the items themselves.

``violations(items, ...)`` reads every item of a layout (a consistent Scan, done by the test,
never by the library) and recomputes, from the bookings alone, what every guard and counter
must be: the capacity counters, the owners' pending-bookings counters, the dogs' schedule
items and the roster (booking-day) items. It returns a list of human-readable violations
(empty when everything holds), so a failing test shows all of them at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from dogcare.domain.clock import parse_iso
from dogcare.domain.scheduling import overlaps, stay
from dogcare.domain.skeleton import email_key
from dogcare.domain.vocabulary import ACTIVE_BOOKING_STATUSES
from dogcare.storage import keys

BOOKKEEPING = ("RATE#", "IDEMPOTENCY#")
PAID_BOOKING_STATUSES = ("confirmed", "checked_in", "completed")
RELEASED = ("cancelled", "expired")  # statuses that gave their places back
PAID_PAYMENT_STATUSES = ("succeeded", "refund_pending", "partially_refunded", "refunded")

_deserializer = TypeDeserializer()


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """A raw DynamoDB item (``{"S": ...}`` values) as plain Python values."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def scan_all(client: Any, tables: Iterable[str]) -> list[dict[str, Any]]:
    """Every item of ``tables`` as plain values (a strongly consistent Scan, page by page)."""
    items: list[dict[str, Any]] = []
    for table in tables:
        kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
        while True:
            page = client.scan(**kwargs)
            items.extend(plain(i) for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return items


def data_items(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items that are data (rate-limit windows and idempotency records are request bookkeeping)."""
    return [i for i in items if not str(i["pk"]).startswith(BOOKKEEPING)]


@dataclass(frozen=True)
class Rules:
    """What the checker needs to know of the deployment's settings."""

    default_capacity: int = 20
    timezone: str = "UTC"


def _by_type(items: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[str(item.get("entity_type", "?"))].append(item)
    return grouped


def violations(items: Iterable[dict[str, Any]], now: datetime, rules: Rules = Rules()) -> list[str]:
    found: list[str] = []
    kinds = _by_type(data_items(items))
    bookings = kinds["booking"]
    active = [b for b in bookings if b["status"] in ACTIVE_BOOKING_STATUSES]

    # --- owners and their unique-email guards ------------------------------------------
    owners = {o["id"]: o for o in kinds["owner"]}
    guards = {str(g["pk"]).removeprefix("EMAIL#"): g["owner_id"] for g in kinds["email_guard"]}
    # A guard is keyed by the address's confusable skeleton, not by the address itself.
    for owner in owners.values():
        if guards.get(email_key(owner["email"])) != owner["id"]:
            found.append(f"owner {owner['id']}: no email guard for {owner['email']!r}")
    for key, owner_id in guards.items():
        if owner_id not in owners or email_key(owners[owner_id]["email"]) != key:
            found.append(f"email guard {key!r} points at {owner_id}, which does not hold that email")

    # --- dogs and their schedules ----------------------------------------------------
    dogs = {d["id"]: d for d in kinds["dog"]}
    schedules = {s["dog_id"]: s for s in kinds["dog_schedule"]}
    for dog_id in dogs.keys() - schedules.keys():
        found.append(f"dog {dog_id} has no schedule item")
    for dog_id in schedules.keys() - dogs.keys():
        found.append(f"schedule of dog {dog_id} has no dog")
    for dog in dogs.values():
        if dog["owner_id"] not in owners:
            found.append(f"dog {dog['id']} belongs to unknown owner {dog['owner_id']}")

    # --- capacity: never above the limit, and the counters equal the bookings holding a place ---
    # Every booking that is not cancelled holds its places: a completed stay used them (an early
    # check-out does not give the remaining nights back).
    limits = {c["service_type"]: int(c["daily_capacity"]) for c in kinds["capacity_config"]}
    expected_use: Counter[tuple[str, date]] = Counter()
    for b in bookings:
        if b["status"] in RELEASED:
            continue
        span = stay(b["service_type"], parse_iso(b["start_time"]), parse_iso(b["end_time"]), rules.timezone)
        for day in span.capacity_days:
            expected_use[(b["service_type"], day)] += 1
    counters: dict[tuple[str, date], int] = {}
    for c in kinds["capacity_counter"]:
        _, service, day = str(c["pk"]).split("#", 2)
        counters[(service, date.fromisoformat(day))] = int(c.get("used", 0))
    for key in expected_use.keys() | counters.keys():
        used, expected = counters.get(key, 0), expected_use.get(key, 0)
        if used != expected:
            found.append(f"capacity counter {key[0]} {key[1]} is {used}, the bookings hold {expected}")
        limit = limits.get(key[0], rules.default_capacity)
        if expected > limit:
            found.append(f"{expected} {key[0]} bookings hold {key[1]}, above the capacity of {limit}")

    # --- the owners' pending-bookings counters -----------------------------------------
    pending = Counter(b["owner_id"] for b in bookings if b["status"] == "pending")
    pending_counters = {str(p["pk"]).removeprefix("OWNER#"): int(p.get("used", 0)) for p in kinds["pending_counter"]}
    for owner_id in pending.keys() | pending_counters.keys():
        if pending_counters.get(owner_id, 0) != pending.get(owner_id, 0):
            found.append(
                f"pending counter of {owner_id} is {pending_counters.get(owner_id, 0)}, "
                f"it has {pending.get(owner_id, 0)} pending bookings"
            )

    # --- one dog, one place at a time; the schedule guard matches the bookings ----------
    by_dog: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for b in active:
        by_dog[b["dog_id"]].append(b)
    for dog_id, dog_bookings in by_dog.items():
        spans = sorted((parse_iso(b["start_time"]), parse_iso(b["end_time"]), b["id"]) for b in dog_bookings)
        for (s1, e1, id1), (s2, e2, id2) in pairwise(spans):
            if overlaps(s1, e1, s2, e2):
                found.append(f"dog {dog_id}: active bookings {id1} and {id2} overlap")
    by_id = {b["id"]: b for b in bookings}
    for dog_id, schedule in schedules.items():
        intervals = dict(schedule.get("intervals") or {})
        for booking_id, span in intervals.items():
            b = by_id.get(booking_id)
            if b is None or b["status"] not in ACTIVE_BOOKING_STATUSES or b["dog_id"] != dog_id:
                found.append(f"schedule of dog {dog_id} holds {booking_id}, which is not an active booking of it")
            elif span != f"{b['start_time']}/{b['end_time']}":
                found.append(f"schedule of dog {dog_id} holds {booking_id} as {span}, the booking says otherwise")
        for b in by_dog.get(dog_id, []):
            # The schedule prunes stays that are over; every stay not over yet must be in it.
            if parse_iso(b["end_time"]) > now and b["id"] not in intervals:
                found.append(f"active booking {b['id']} is missing from the schedule of dog {dog_id}")
    for dog_id in by_dog.keys() - schedules.keys():
        found.append(f"dog {dog_id} has active bookings but no schedule item")

    # --- the roster: one day item per day of every booking that is not cancelled --------
    days: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for d in kinds["booking_day"]:
        days[d["booking_id"]][d["day"]] = d
    for booking_id in days.keys() - by_id.keys():
        found.append(f"roster items of unknown booking {booking_id}")
    for b in bookings:
        have = days.get(b["id"], {})
        if b["status"] in RELEASED:
            if have:
                found.append(f"{b['status']} booking {b['id']} is still on the roster ({sorted(have)})")
            continue
        span = stay(b["service_type"], parse_iso(b["start_time"]), parse_iso(b["end_time"]), rules.timezone)
        wanted = {d.isoformat() for d in span.roster_days}
        if set(have) != wanted:
            found.append(f"booking {b['id']} is on the roster on {sorted(have)}, expected {sorted(wanted)}")
        for day, item in have.items():
            if item["status"] != b["status"]:
                found.append(f"roster item {b['id']} {day} says {item['status']}, the booking is {b['status']}")
            if item.get("gsi3pk") != keys.calendar_pk(date.fromisoformat(day)):
                found.append(f"roster item {b['id']} {day} is not in the calendar index")

    # --- payments: one per booking, linked both ways; refunds never above the payment ---
    payments = kinds["payment"]
    per_booking = Counter(p["booking_id"] for p in payments)
    for booking_id, n in per_booking.items():
        if n > 1:
            found.append(f"booking {booking_id} has {n} payment records")
    payments_by_id = {p["id"]: p for p in payments}
    for p in payments:
        b = by_id.get(p["booking_id"])
        if b is None or b.get("payment_id") != p["id"]:
            found.append(f"payment {p['id']} is not linked from its booking {p['booking_id']}")
        amount = int(p["amount"]["amount"])
        refunded = int(p.get("amount_refunded") or 0)
        if not 0 <= refunded <= amount:
            found.append(f"payment {p['id']}: refunded {refunded} of {amount}")
        if p.get("refund_due") is not None and not 0 <= int(p["refund_due"]) <= amount:
            found.append(f"payment {p['id']}: refund due {p['refund_due']} of {amount}")
    for b in bookings:
        if b["status"] in PAID_BOOKING_STATUSES:
            p = payments_by_id.get(b.get("payment_id") or "")
            if p is None or p["status"] not in PAID_PAYMENT_STATUSES:
                found.append(f"{b['status']} booking {b['id']} has no succeeded payment")
            elif (int(p["amount"]["amount"]), p["amount"]["currency"]) != (
                int(b["price"]["amount"]),
                b["price"]["currency"],
            ):
                found.append(f"{b['status']} booking {b['id']} costs {b['price']} but was paid {p['amount']}")

    # --- unpaid holds: exactly the pending bookings are in the sparse hold index -----------
    for b in bookings:
        in_index = str(b.get("gsi3pk", "")).startswith("HOLDS#")
        if b["status"] == "pending" and b.get("hold_expires_at") and not in_index:
            found.append(f"pending booking {b['id']} is not in the hold index")
        if b["status"] != "pending" and (b.get("gsi3pk") or b.get("hold_expires_at")):
            found.append(f"{b['status']} booking {b['id']} still carries a hold")
    return found


def summary(items: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many items of each entity type (for messages and reports)."""
    return dict(Counter(str(i.get("entity_type", "?")) for i in data_items(items)))
