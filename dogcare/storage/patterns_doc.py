"""Generate ``docs/access-patterns.md`` from the access-pattern registry.

    python -m dogcare.storage.patterns_doc            # (re)write the document
    python -m dogcare.storage.patterns_doc --check    # exit 1 if the document is out of date

The reads come from ``dogcare.storage.patterns.REGISTRY``; the constrained writes (what each
transaction touches) are declared in ``WRITES`` below and checked against the requests the
repositories really send by the library's tests, so the document cannot drift from the code.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dogcare.storage.batch import MAX_BATCH_KEYS
from dogcare.storage.declarations import (
    BOOKING,
    BOOKING_DAY,
    CAPACITY_CONFIG,
    CAPACITY_COUNTER,
    DOG,
    DOG_SCHEDULE,
    EMAIL_GUARD,
    OWNER,
    PAYMENT,
    PENDING_COUNTER,
    PROVIDER_EVENT,
    SCHEMA,
)
from dogcare.storage.layout import LOGICAL_TABLES, TableLayout
from dogcare.storage.patterns import HIGH, AccessPattern
from dogcare.storage.schema import Entity, Schema

DEFAULT_PREFIX = "dogcare-dev"
DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "access-patterns.md"
PAGE = 20  # the API's default page size
MAX_PAGE = 100  # the largest page the API serves

# Approximate stored size in bytes of a typical item of each entity (attribute names plus
# values, as DynamoDB counts them), measured on realistic example items and declared with the
# entities; the tests check that the example items stay within these figures.
ITEM_BYTES: dict[str, int] = SCHEMA.item_bytes()


# --- capacity arithmetic --------------------------------------------------------------------


def item_size(item: Mapping[str, Any]) -> int:
    """The size DynamoDB bills for an item in DynamoDB JSON (names plus values, approximately)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        digits = str(data).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in data)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in data)
    raise ValueError(f"unknown attribute type {kind}")


def strong_read_rcu(size: int) -> float:
    """Strongly consistent GetItem: 1 RCU per 4 KB, rounded up (a miss costs the minimum)."""
    return float(max(1, math.ceil(size / 4096)))


def eventual_query_rcu(total_size: int) -> float:
    """Eventually consistent Query: 0.5 RCU per 4 KB read, summed over the page, rounded up."""
    return 0.5 * max(1, math.ceil(total_size / 4096))


def transactional_wcu(size: int) -> int:
    """One action of a transaction: 2 WCU per 1 KB of the item, rounded up."""
    return 2 * max(1, math.ceil(size / 1024))


def _rcu(value: float) -> str:
    return f"{value:g} RCU"


# --- the constrained writes ------------------------------------------------------------------

Action = Literal["Put", "Update", "Delete", "ConditionCheck"]


@dataclass(frozen=True)
class TxAction:
    action: Action
    entity: str
    key: str
    condition: str
    per: str | None = None  # None: once; otherwise one action per unit ("roster day", ...)
    when: str | None = None  # only in some cases (counted in the examples that say so)


@dataclass(frozen=True)
class ConstrainedWrite:
    name: str
    summary: str
    method: str
    used_by: tuple[str, ...]
    actions: tuple[TxAction, ...]
    examples: tuple[tuple[str, Mapping[str, int], bool], ...] = (("", {}, True),)
    note: str = ""

    def count(self, units: Mapping[str, int], optional: bool = True) -> int:
        return sum(self._times(a, units, optional) for a in self.actions)

    def wcu(self, units: Mapping[str, int], optional: bool = True) -> int:
        return sum(self._times(a, units, optional) * transactional_wcu(ITEM_BYTES[a.entity]) for a in self.actions)

    @staticmethod
    def _times(action: TxAction, units: Mapping[str, int], optional: bool) -> int:
        if action.when is not None and not optional:
            return 0
        return units.get(action.per, 1) if action.per else 1


# The keys each action names, from the declarations (with the names the tables below use).
_OWNER = OWNER.shape()
_GUARD = EMAIL_GUARD.shape()
_DOG = DOG.shape()
_BOOKING = BOOKING.shape()
_DAY = BOOKING_DAY.shape(day="date")
_SCHEDULE = DOG_SCHEDULE.shape()
_CAPACITY = CAPACITY_COUNTER.shape(service_type="service", day="date")
_PENDING = PENDING_COUNTER.shape()
_PAYMENT = PAYMENT.shape()
_EVENT = PROVIDER_EVENT.shape()
_SETTING = CAPACITY_CONFIG.shape(service_type="service")
_VERSION = "version = :expected"
_STAY_EXAMPLES: tuple[tuple[str, Mapping[str, int], bool], ...] = (
    ("daycare or parking (one day)", {"roster day": 1, "capacity day": 1}, True),
    ("3-night boarding", {"roster day": 4, "capacity day": 3}, True),
    ("30-night boarding (the longest stay)", {"roster day": 31, "capacity day": 30}, True),
)

WRITES: tuple[ConstrainedWrite, ...] = (
    ConstrainedWrite(
        "register_owner",
        "An owner profile and the guard that keeps its email unique: both or neither.",
        "OwnerRepository.create",
        ("POST /owners/register",),
        (
            TxAction("Put", "owner", _OWNER, "attribute_not_exists(pk)"),
            TxAction("Put", "email_guard", _GUARD, "attribute_not_exists(pk)"),
        ),
        note=(
            "email_key is the verified address's confusable skeleton (look-alikes collide). A failed "
            "owner condition means AlreadyRegistered, a failed guard DuplicateEmail: one request and "
            "one HTTP answer (registration-conflict) either way."
        ),
    ),
    ConstrainedWrite(
        "update_owner",
        "The profile, versioned; a new email moves the guard in the same transaction.",
        "OwnerRepository.update",
        ("PUT /owners/profile",),
        (
            TxAction(
                "Delete",
                "email_guard",
                EMAIL_GUARD.shape(email_key="old_email_key"),
                "owner_id = :me OR attribute_not_exists(pk)",
                when="email key changes",
            ),
            TxAction(
                "Put",
                "email_guard",
                EMAIL_GUARD.shape(email_key="new_email_key"),
                "attribute_not_exists(pk)",
                when="email key changes",
            ),
            TxAction("Put", "owner", _OWNER, f"attribute_exists(pk) AND {_VERSION}"),
        ),
        examples=(("same email", {}, False), ("new email", {}, True)),
    ),
    ConstrainedWrite(
        "add_dog",
        "A dog, only for a registered owner, with its empty schedule.",
        "DogRepository.add",
        ("POST /dogs",),
        (
            TxAction("ConditionCheck", "owner", _OWNER, "attribute_exists(pk)"),
            TxAction("Put", "dog", _DOG, "attribute_not_exists(pk)"),
            TxAction("Put", "dog_schedule", _SCHEDULE, "attribute_not_exists(pk)"),
        ),
    ),
    ConstrainedWrite(
        "update_dog",
        "The dog profile, versioned and still the caller's.",
        "DogRepository.update",
        ("PUT /dogs/{id}",),
        (TxAction("Put", "dog", _DOG, f"owner_id = :me AND {_VERSION}"),),
    ),
    ConstrainedWrite(
        "delete_dog",
        "The dog and its schedule, only if no booking landed since the schedule was read.",
        "DogRepository.delete",
        ("DELETE /dogs/{id}",),
        (
            TxAction("Delete", "dog", _DOG, f"owner_id = :me AND {_VERSION}"),
            TxAction("Delete", "dog_schedule", _SCHEDULE, "rev = :read_rev"),
        ),
    ),
    ConstrainedWrite(
        "create_booking",
        "A pending booking with everything it holds: the dog's time, a place per day, a pending slot.",
        "BookingRepository.create",
        ("POST /bookings",),
        (
            TxAction("Put", "booking", _BOOKING, "attribute_not_exists(pk)"),
            TxAction("Put", "booking_day", _DAY, "none", per="roster day"),
            TxAction("Update", "dog_schedule", _SCHEDULE, "rev = :read_rev (no overlap was seen at that revision)"),
            TxAction(
                "Update",
                "capacity_counter",
                _CAPACITY,
                "attribute_not_exists(used) OR used < :limit",
                per="capacity day",
            ),
            TxAction("Update", "pending_counter", _PENDING, "attribute_not_exists(used) OR used < :cap"),
        ),
        examples=_STAY_EXAMPLES,
        note="A failed schedule revision makes the service re-read the schedule and re-check overlaps.",
    ),
    ConstrainedWrite(
        "reschedule_booking",
        "New times for a pending booking: roster days, places and the dog's time move together.",
        "BookingRepository.reschedule",
        ("PUT /bookings/{id}",),
        (
            TxAction("Put", "booking", _BOOKING, f"status = 'pending' AND {_VERSION}"),
            TxAction("Delete", "booking_day", _DAY, "none", per="dropped roster day"),
            TxAction("Put", "booking_day", _DAY, "none", per="new roster day"),
            TxAction("Update", "dog_schedule", _SCHEDULE, "rev = :read_rev"),
            TxAction(
                "Update",
                "capacity_counter",
                _CAPACITY,
                "attribute_not_exists(used) OR used < :limit",
                per="added capacity day",
            ),
            TxAction("Update", "capacity_counter", _CAPACITY, "used >= 1", per="released capacity day"),
        ),
        examples=(
            (
                "daycare moved within its day",
                {
                    "dropped roster day": 0,
                    "new roster day": 1,
                    "added capacity day": 0,
                    "released capacity day": 0,
                },
                True,
            ),
            (
                "daycare moved to another day",
                {
                    "dropped roster day": 1,
                    "new roster day": 1,
                    "added capacity day": 1,
                    "released capacity day": 1,
                },
                True,
            ),
            (
                "3-night boarding one day later",
                {
                    "dropped roster day": 1,
                    "new roster day": 4,
                    "added capacity day": 1,
                    "released capacity day": 1,
                },
                True,
            ),
            (
                "30-night boarding to other dates (refused)",
                {
                    "dropped roster day": 31,
                    "new roster day": 31,
                    "added capacity day": 30,
                    "released capacity day": 30,
                },
                True,
            ),
        ),
        note="Over 100 actions the library refuses the change with LimitReached before sending anything: "
        "cancel and book again instead.",
    ),
    ConstrainedWrite(
        "update_instructions",
        "Special instructions, until check-in.",
        "BookingRepository.update_instructions",
        ("PUT /bookings/{id}",),
        (TxAction("Update", "booking", _BOOKING, f"status IN ('pending', 'confirmed') AND {_VERSION}"),),
    ),
    ConstrainedWrite(
        "confirm_booking",
        "Payment succeeded: the booking is confirmed and leaves the owner's pending count.",
        "BookingRepository.add_transition (target confirmed)",
        ("POST /payments/webhook",),
        (
            TxAction("Update", "booking", _BOOKING, f"status = 'pending' AND {_VERSION}"),
            TxAction("Update", "booking_day", _DAY, "attribute_exists(pk)", per="roster day"),
            TxAction("Update", "pending_counter", _PENDING, "used >= 1"),
        ),
        examples=_STAY_EXAMPLES,
        note="The webhook adds the payment update and the provider event marker (two more actions) to the "
        "same transaction.",
    ),
    ConstrainedWrite(
        "cancel_booking",
        "Cancelled: every place, the dog's time, the roster entries and the pending slot are released at once.",
        "BookingRepository.transition (target cancelled)",
        ("DELETE /bookings/{id}",),
        (
            TxAction("Update", "booking", _BOOKING, f"status = :current AND {_VERSION}"),
            TxAction("Delete", "booking_day", _DAY, "none", per="roster day"),
            TxAction("Update", "capacity_counter", _CAPACITY, "used >= 1", per="capacity day"),
            TxAction("Update", "pending_counter", _PENDING, "used >= 1", when="the booking was pending"),
            TxAction("Update", "dog_schedule", _SCHEDULE, "attribute_exists(pk)"),
        ),
        examples=_STAY_EXAMPLES,
    ),
    ConstrainedWrite(
        "expire_hold",
        "An unpaid hold past its deadline expires: everything it held is released at once.",
        "BookingRepository.transition (target expired)",
        ("sweeper",),
        (
            TxAction(
                "Update",
                "booking",
                _BOOKING,
                f"status = 'pending' AND hold_expires_at = :read AND hold_expires_at <= :now AND {_VERSION}",
            ),
            TxAction("Delete", "booking_day", _DAY, "none", per="roster day"),
            TxAction("Update", "capacity_counter", _CAPACITY, "used >= 1", per="capacity day"),
            TxAction("Update", "pending_counter", _PENDING, "used >= 1"),
            TxAction("Update", "dog_schedule", _SCHEDULE, "attribute_exists(pk)"),
        ),
        examples=_STAY_EXAMPLES,
        note="The booking leaves the sparse hold index in the same write (its gsi3 keys are removed).",
    ),
    ConstrainedWrite(
        "revive_hold",
        "Money arrived for an expired hold: its places are taken again, as for a new booking, or it is refunded.",
        "BookingRepository.add_revival",
        ("POST /payments/webhook",),
        (
            TxAction("Update", "booking", _BOOKING, f"status = 'expired' AND {_VERSION}"),
            TxAction("Put", "booking_day", _DAY, "none", per="roster day"),
            TxAction("Update", "dog_schedule", _SCHEDULE, "rev = :read_rev (no overlap was seen at that revision)"),
            TxAction(
                "Update",
                "capacity_counter",
                _CAPACITY,
                "attribute_not_exists(used) OR used < :limit",
                per="capacity day",
            ),
        ),
        examples=_STAY_EXAMPLES,
        note="Joins the webhook's transaction (payment update and event marker); a full day refunds the payment.",
    ),
    ConstrainedWrite(
        "check_in",
        "Staff check a confirmed booking in; the roster entries follow.",
        "BookingRepository.transition (target checked_in)",
        ("POST /admin/bookings/{id}/check-in",),
        (
            TxAction("Update", "booking", _BOOKING, f"status = 'confirmed' AND {_VERSION}"),
            TxAction("Update", "booking_day", _DAY, "attribute_exists(pk)", per="roster day"),
        ),
        examples=_STAY_EXAMPLES,
    ),
    ConstrainedWrite(
        "check_out",
        "Staff check the dog out: the booking is completed and the dog's time is free.",
        "BookingRepository.transition (target completed)",
        ("POST /admin/bookings/{id}/check-out",),
        (
            TxAction("Update", "booking", _BOOKING, f"status = 'checked_in' AND {_VERSION}"),
            TxAction("Update", "booking_day", _DAY, "attribute_exists(pk)", per="roster day"),
            TxAction("Update", "dog_schedule", _SCHEDULE, "attribute_exists(pk)"),
        ),
        examples=_STAY_EXAMPLES,
    ),
    ConstrainedWrite(
        "reserve_payment",
        "A payment record linked to its pending booking: one payment per booking.",
        "PaymentRepository.reserve",
        ("POST /payments",),
        (
            TxAction("Put", "payment", _PAYMENT, "attribute_not_exists(pk)"),
            TxAction(
                "Update",
                "booking",
                _BOOKING,
                "attribute_not_exists(payment_id) AND status = 'pending' AND owner_id = :me AND version = :read",
            ),
            TxAction(
                "Update",
                "booking_day",
                _DAY,
                "attribute_exists(pk)",
                per="roster day",
                when="the hold is extended (its new deadline shown on the roster)",
            ),
        ),
        examples=(("hold not extended", {}, False), ("daycare, hold extended", {"roster day": 1}, True)),
        note="The version condition ties the payment's amount to the price that was read: a reschedule "
        "landing first makes the link fail, and the payment is priced again.",
    ),
    ConstrainedWrite(
        "extend_hold",
        "Paying again for a booking whose payment is linked keeps its hold at least 15 more minutes.",
        "PaymentRepository.extend_hold",
        ("POST /payments",),
        (
            TxAction("Update", "booking", _BOOKING, f"status = 'pending' AND {_VERSION}"),
            TxAction("Update", "booking_day", _DAY, "attribute_exists(pk)", per="roster day"),
        ),
        examples=_STAY_EXAMPLES,
        note="Only when the deadline would move later; a booking that changed meanwhile is left as it is.",
    ),
    ConstrainedWrite(
        "apply_provider_event",
        "A payment provider event, applied exactly once.",
        "PaymentRepository.add_event_marker + add_payment_update",
        ("POST /payments/webhook",),
        (
            TxAction("Put", "provider_event", _EVENT, "attribute_not_exists(pk)"),
            TxAction("Put", "payment", _PAYMENT, _VERSION),
        ),
        note="When the event confirms or cancels the booking, that transition's actions join this transaction.",
    ),
)
WRITES_BY_NAME = {w.name: w for w in WRITES}


# --- rendering ------------------------------------------------------------------------------


def _layouts(prefix: str) -> tuple[TableLayout, TableLayout]:
    return TableLayout("single", prefix), TableLayout("four", prefix)


def _physical(pattern_table: str, prefix: str) -> tuple[str, str]:
    single, four = _layouts(prefix)
    return single.table_name(pattern_table), four.table_name(pattern_table)  # type: ignore[arg-type]


def _values(pattern: AccessPattern, variant: str | None) -> dict[str, dict[str, str]]:
    params = pattern.example
    values = {":pk": {"S": pattern.hash_value(**params)}}
    key = pattern.range_key(variant)
    if key is not None:
        resolved = pattern.range_values(variant, **params)
        if key.op == "between":
            values[":sk_from"], values[":sk_to"] = {"S": resolved[0]}, {"S": resolved[1]}
        else:
            values[":sk"] = {"S": resolved[0]}
    return values


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)


def _boto3_example(pattern: AccessPattern, variant: str | None, prefix: str) -> list[str]:
    single, four = _physical(pattern.table, prefix)
    values = _values(pattern, variant)
    table_line = f'    TableName="{single}",  # four-table layout: "{four}"'
    if pattern.operation == "GetItem":
        key = {"pk": values[":pk"], "sk": values[":sk"]}
        return ["client.get_item(", table_line, f"    Key={_json(key)},", "    ConsistentRead=True,", ")"]
    if pattern.operation == "BatchGetItem":
        key = {"pk": values[":pk"], "sk": values[":sk"]}
        return [
            f'# one key per day (at most {MAX_BATCH_KEYS} keys per request); four-table layout: "{four}"',
            "client.batch_get_item(",
            f'    RequestItems={{"{single}": {{"Keys": [{_json(key)}, ...], "ConsistentRead": True}}}},',
            ")",
        ]
    lines = ["client.query(", table_line]
    if pattern.index is not None:
        lines.append(f'    IndexName="{pattern.index.name}",')
    lines += [
        f'    KeyConditionExpression="{pattern.key_condition(variant, placeholders=True)}",',
        f"    ExpressionAttributeValues={_json(values)},",
        f"    Limit={PAGE},",
        ")",
    ]
    return lines


def _cli_example(pattern: AccessPattern, variant: str | None, prefix: str) -> list[str]:
    single, four = _physical(pattern.table, prefix)
    values = _values(pattern, variant)
    head = f"# four-table layout: --table-name {four}"
    if pattern.operation == "BatchGetItem":
        key = {"pk": values[":pk"], "sk": values[":sk"]}
        items = {single: {"Keys": [key], "ConsistentRead": True}}
        return [head, f"aws dynamodb batch-get-item --request-items '{_json(items)}'"]
    if pattern.operation == "GetItem":
        key = {"pk": values[":pk"], "sk": values[":sk"]}
        return [
            head,
            f"aws dynamodb get-item --table-name {single} \\",
            f"    --key '{_json(key)}' \\",
            "    --consistent-read",
        ]
    lines = [head, f"aws dynamodb query --table-name {single} \\"]
    if pattern.index is not None:
        lines.append(f"    --index-name {pattern.index.name} \\")
    lines += [
        f'    --key-condition-expression "{pattern.key_condition(variant, placeholders=True)}" \\',
        f"    --expression-attribute-values '{_json(values)}' \\",
        f"    --max-items {PAGE}",
    ]
    return lines


def _cost(pattern: AccessPattern, sizes: Mapping[str, int]) -> str:
    size = sizes[pattern.entity]
    if pattern.operation == "GetItem":
        return (
            "Strongly consistent GetItem: 1 RCU per 4 KB of the item, rounded up. "
            f"Each `{pattern.entity}` item is about {size} bytes, so each call costs "
            f"**{_rcu(strong_read_rcu(size))}** (a miss costs the same)."
        )
    if pattern.operation == "BatchGetItem":
        return (
            "Strongly consistent BatchGetItem: 1 RCU per item under 4 KB, found or not. "
            f"`{pattern.entity}` items are about {size} bytes: a 14-day window costs **{_rcu(15.0)}**, "
            f"the longest (62 days) **{_rcu(63.0)}**, in one request (at most {MAX_BATCH_KEYS} keys each); "
            "keys left unprocessed are retried with backoff and the read fails (503) if any stays unread."
        )
    if pattern.name == "list_capacity_settings":
        return (
            "Eventually consistent Query: 0.5 RCU per 4 KB read. At most one item per service "
            f"(about {size} bytes each): **{_rcu(eventual_query_rcu(3 * size))}**."
        )
    return (
        f"Eventually consistent Query: 0.5 RCU per 4 KB read, summed over the page and rounded up. "
        f"`{pattern.entity}` items are about {size} bytes: a page of {PAGE} costs "
        f"**{_rcu(eventual_query_rcu(PAGE * size))}**, a full page of {MAX_PAGE} costs "
        f"**{_rcu(eventual_query_rcu(MAX_PAGE * size))}**, an empty result {_rcu(eventual_query_rcu(0))}."
    )


def _printable(text: str) -> str:
    """Show the BETWEEN sentinel (U+FFFF) as an escape, not as an invisible character."""
    return text.replace(HIGH, "\\uffff")


def _index_text(pattern: AccessPattern) -> str:
    if pattern.index is None:
        return "base table (`pk`, `sk`)"
    i = pattern.index
    return f"`{i.name}` (`{i.hash_attr}`, `{i.range_attr}`): {i.purpose}"


def _pattern_section(pattern: AccessPattern, prefix: str, sizes: Mapping[str, int]) -> list[str]:
    single, four = _physical(pattern.table, prefix)
    consistency = "strongly consistent" if pattern.operation != "Query" else "eventually consistent"
    out = [
        f"### `{pattern.name}`",
        "",
        pattern.summary,
        "",
        f"- **Operation:** {pattern.operation} ({consistency})",
        f"- **Logical table:** `{pattern.table}`: `{single}` in the single-table layout, `{four}` in the "
        "four-table layout",
        f"- **Index:** {_index_text(pattern)}",
        f"- **Key condition:** `{_printable(pattern.key_condition())}`",
    ]
    for name in pattern.narrower:
        out.append(f"- **Key condition (`{name}` variant):** `{_printable(pattern.key_condition(name))}`")
    out += [
        f"- **Returns:** `{pattern.entity}` items",
        f"- **Used by:** {', '.join(f'`{route}`' for route in pattern.used_by)}",
        f"- **Cost:** {_cost(pattern, sizes)}",
    ]
    if pattern.operation == "Query":
        out.append(
            "- **Filter:** the library also sends `entity_type IN (:type)` (the model's discriminator); "
            f"the key condition already selects only `{pattern.entity}` items, so it removes nothing and "
            "costs nothing."
        )
    if pattern.name == "list_owner_bookings":
        out.append(
            "- **Status filter:** `?status=` adds `status = :status` to the filter: the read (and its cost) "
            "is the same, the page may come back shorter, and its cursor continues where the read stopped."
        )
    for variant in (None, *pattern.narrower):
        label = "" if variant is None else f" (`{variant}` variant)"
        out += ["", f"boto3{label}:", "", "```python"]
        out += _boto3_example(pattern, variant, prefix)
        out += ["```", "", f"AWS CLI{label}:", "", "```sh"]
        out += _cli_example(pattern, variant, prefix)
        out += ["```"]
    out.append("")
    return out


def _write_section(write: ConstrainedWrite) -> list[str]:
    out = [
        f"### `{write.name}`",
        "",
        write.summary,
        "",
        f"- **Code:** `{write.method}`",
        f"- **Used by:** {', '.join(f'`{route}`' for route in write.used_by)}",
        "",
        "| Action | Entity | Key (`pk / sk`) | Condition | How many |",
        "|---|---|---|---|---|",
    ]
    for a in write.actions:
        many = f"one per {a.per}" if a.per else "one"
        if a.when:
            many += f", if {a.when}"
        out.append(f"| {a.action} | `{a.entity}` | `{a.key}` | `{a.condition}` | {many} |")
    out += ["", "| Case | Items | WCU |", "|---|---|---|"]
    for label, units, optional in write.examples:
        count = write.count(units, optional)
        over = " (over the limit of 100: refused)" if count > 100 else ""
        out.append(f"| {label or 'always'} | {count}{over} | {write.wcu(units, optional)} |")
    if write.note:
        out += ["", write.note]
    out.append("")
    return out


def _elided(entity: Entity) -> str:
    """An entity's key with its values left out (``DOG#… / #PROFILE``)."""
    return f"{entity.pk.wildcard().replace('*', '…')} / {entity.sk.text}"


def _longest_booking() -> int:
    return WRITES_BY_NAME["create_booking"].count({"roster day": 31, "capacity day": 30})


def render(prefix: str = DEFAULT_PREFIX, schema: Schema = SCHEMA) -> str:
    """The document; ``schema``: whose reads it lists (a library user's extended schema)."""
    single, four = _layouts(prefix)
    reads, sizes = schema.patterns, schema.item_bytes()
    plain_wcu = transactional_wcu(ITEM_BYTES["capacity_config"]) // 2  # a plain write costs half
    out = [
        "# Access patterns",
        "",
        "<!-- Generated by `python -m dogcare.storage.patterns_doc` from the declarations in "
        "`dogcare/storage/declarations.py`; do not edit by hand. -->",
        "",
        "Every way the application reads DynamoDB, and every write that must hold a rule. Reads are the "
        "registry the repositories execute (`dogcare.storage.patterns`); each is **one GetItem, one "
        "Query or one BatchGetItem of known keys**, and nothing ever scans a table. Keys are the same in "
        "both table layouts; only the "
        f"physical table changes. Table names below use the default prefix `{prefix}`.",
        "",
        "Costs are on-demand capacity units. Reads: a strongly consistent GetItem costs 1 RCU per 4 KB of "
        "the item (rounded up); an eventually consistent Query costs 0.5 RCU per 4 KB read, summed over the "
        "items of the page and rounded up once. Queries on a GSI are always eventually consistent. "
        "Writes: every action of a transaction costs 2 WCU per 1 KB of its item (rounded up), twice a "
        "plain write; a condition check is counted like the other actions.",
        "",
        "## Tables",
        "",
        "| Logical table | Single-table layout | Four-table layout | Indexes (four-table layout) |",
        "|---|---|---|---|",
    ]
    for logical in LOGICAL_TABLES:
        indexes = ", ".join(f"`{i.name}`" for i in four.indexes_of(logical))
        out.append(f"| `{logical}` | `{single.table_name(logical)}` | `{four.table_name(logical)}` | {indexes} |")
    out += [
        "",
        f"The single table `{single.table_name('owners')}` carries all three indexes: "
        + "; ".join(f"`{i.name}` ({i.purpose})" for i in single.indexes_of("owners"))
        + ".",
        "",
        "## Reads at a glance",
        "",
        "| Pattern | Operation | Table | Index | Key condition | Returns |",
        "|---|---|---|---|---|---|",
    ]
    for p in reads:
        index = f"`{p.index.name}`" if p.index else "base"
        out.append(
            f"| [`{p.name}`](#{p.name}) | {p.operation} | `{p.table}` | {index} | `{_printable(p.key_condition())}` | "
            f"`{p.entity}` |"
        )
    out += ["", "## Reads", ""]
    for p in reads:
        out += _pattern_section(p, prefix, sizes)
    out += [
        "## Reads inside writes",
        "",
        "Creating or rescheduling a booking first reads the dog, its schedule and the service's capacity "
        f"setting in **one strongly consistent BatchGetItem** (`{_DOG}`, `{_SCHEDULE}`, `{_SETTING}`): "
        "1 RCU per item under 4 KB, "
        "3 RCU. Every other update or delete first reads the item it changes with the GetItem of its pattern "
        "above (deleting a dog also reads its schedule: two GetItems).",
        "",
        "## Reads of the web app's screens",
        "",
        "A quote (`POST /bookings/quote`) makes the booking's BatchGetItem above and then `capacity_window` "
        "for the days the stay would take: two requests, nothing written. The staff care card "
        "(`GET /admin/bookings/{id}/care-card`) reads the booking with `get_booking`, then the dog and the "
        f"owner it names (`{_elided(DOG)}`, `{_elided(OWNER)}`) in **one strongly consistent "
        "BatchGetItem**: two requests, 3 RCU.",
        "",
        "## Constrained writes",
        "",
        "Each is **one TransactWriteItems**: every action succeeds, or none is applied and the failed "
        "condition names the rule that stopped it. DynamoDB allows at most 100 actions per transaction; "
        f"the longest booking (30 nights) needs {_longest_booking()}.",
        "",
    ]
    for write in WRITES:
        out += _write_section(write)
    out += [
        f"Outside transactions: setting a service's daily capacity is one PutItem (`{_SETTING}`, {plain_wcu} WCU).",
        "",
    ]
    return "\n".join(out)


def sync_document(path: Path, text: str, *, check: bool, command: str) -> int:
    """Write a generated document, or (``check``) exit 1 if the file differs from ``text``."""
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            print(f"{path} is out of date: run {command}", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/access-patterns.md from the access-pattern registry.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the document differs from the registry")
    parser.add_argument("--output", type=Path, default=DOC_PATH, help="where the document lives")
    args = parser.parse_args(argv)
    return sync_document(args.output, render(), check=args.check, command="python -m dogcare.storage.patterns_doc")


if __name__ == "__main__":
    raise SystemExit(main())
