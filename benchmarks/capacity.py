"""3. Round trips and capacity: the DynamoDB requests and read/write units of every API operation.

Each operation runs once through the full path (``LocalGateway.invoke``) while every DynamoDB
request of the process is recorded; the tables are read before and after (outside the record),
so each request is priced from the real sizes of the items it read or wrote, as DynamoDB bills:

* reads in 4 KB units: GetItem and BatchGetItem per item, Query over the items it evaluated,
  eventually consistent reads at half;
* writes in 1 KB units of the larger of the item before and after; transactional writes twice;
* index writes: each GSI whose entry appears, changes or disappears costs a standard write of
  the projected (ALL) item, two when its key moves;
* a ConditionCheck in a transaction is priced like a transactional write (an upper bound).

The minimum is the same operation with only what its data needs: no rate-limit counter and no
idempotency record (both are per-request bookkeeping, shown apart), a single-item change as
one plain conditional write (a one-action transaction costs twice), and no read of an item
only to write all of it back (an update expression with a condition needs none).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import (
    Api,
    Call,
    Dynamo,
    Section,
    booking_body,
    day,
    dog_body,
    functions_in_process,
    item_size,
    num,
    recording,
    table,
    times,
    units,
)

PRICE_WRU = 1.25  # USD per million, on-demand (list price until 31 Oct 2024), for weighting only
PRICE_RRU = 0.25
BOOKKEEPING = ("RATE#", "IDEMPOTENCY#")
Key = tuple[str, str, str]


@dataclass
class Cost:
    requests: Counter[str] = field(default_factory=Counter)
    rru: float = 0.0
    wru: float = 0.0  # table writes
    gsi: float = 0.0  # index writes

    @property
    def write_units(self) -> float:
        return self.wru + self.gsi

    @property
    def dollars(self) -> float:  # per million operations, for a weighted ratio
        return self.rru * PRICE_RRU + self.write_units * PRICE_WRU

    def add(self, other: Cost) -> None:
        self.requests.update(other.requests)
        self.rru += other.rru
        self.wru += other.wru
        self.gsi += other.gsi

    def describe(self) -> str:
        return " + ".join(f"{n} {op}" for op, n in sorted(self.requests.items())) or "none"


@dataclass
class Measured:
    name: str
    route: str
    actual: Cost
    bookkeeping: Cost
    minimum: Cost
    scans: int
    note: str


class Pricer:
    """Prices recorded requests from the item images before and after the operation."""

    def __init__(self, before: dict[Key, Any], after: dict[Key, Any], indexes: dict[str, tuple[Any, ...]]) -> None:
        self.before, self.after, self.indexes = before, after, indexes

    @staticmethod
    def key(table_name: str, item_or_key: dict[str, Any]) -> Key:
        return table_name, item_or_key["pk"]["S"], item_or_key["sk"]["S"]

    def write(self, table_name: str, key_attrs: dict[str, Any], transactional: bool) -> tuple[float, float]:
        """(table units, index units) of writing one item."""
        key = self.key(table_name, key_attrs)
        old, new = self.before.get(key), self.after.get(key)
        table_units = units(max(item_size(old), item_size(new)), 1024) * (2 if transactional else 1)
        index_units = 0.0
        for spec in self.indexes.get(table_name, ()):

            def entry(item: Any, spec: Any = spec) -> tuple[str, str] | None:
                if item and spec.hash_attr in item and spec.range_attr in item:
                    return item[spec.hash_attr]["S"], item[spec.range_attr]["S"]
                return None

            was, now = entry(old), entry(new)
            if was is None and now is None:
                continue
            if was is None or now is None:
                index_units += units(item_size(new or old), 1024)
            elif was != now:
                index_units += units(item_size(old), 1024) + units(item_size(new), 1024)
            elif old != new:
                index_units += units(item_size(new), 1024)
        return table_units, index_units

    def price(self, call: Call, plain: bool = False, rewrite: bool = False) -> Cost:
        """The cost of one recorded request (``plain``: a one-action transaction as a plain write,
        an UpdateItem when ``rewrite``, since the whole item is no longer sent)."""
        cost = Cost(requests=Counter({call.operation: 1}))
        p, r = call.params, call.response or {}
        op = call.operation
        if op == "GetItem":
            cost.rru = units(item_size(r.get("Item")), 4096) * (1 if p.get("ConsistentRead") else 0.5)
        elif op == "BatchGetItem":
            for table_name, request in p["RequestItems"].items():
                found = {self.key(table_name, i): i for i in r.get("Responses", {}).get(table_name, [])}
                factor = 1 if request.get("ConsistentRead") else 0.5
                for k in request["Keys"]:
                    cost.rru += units(item_size(found.get(self.key(table_name, k))), 4096) * factor
        elif op in ("Query", "Scan"):
            size = sum(item_size(i) for i in r.get("Items", []))
            cost.rru = units(size, 4096) * (1 if p.get("ConsistentRead") else 0.5)
        elif op in ("PutItem", "UpdateItem", "DeleteItem"):
            cost.wru, cost.gsi = self.write(p["TableName"], p.get("Item") or p["Key"], transactional=False)
        elif op == "TransactWriteItems":
            actions = p["TransactItems"]
            transactional = not (plain and len(actions) == 1)
            if not transactional:
                kind = next(iter(actions[0]))
                plain_op = "UpdateItem" if rewrite and kind == "Put" else f"{kind}Item"
                cost.requests = Counter({plain_op: 1})
            for action in actions:
                kind, body = next(iter(action.items()))
                t, g = self.write(body["TableName"], body.get("Item") or body["Key"], transactional)
                cost.wru += t
                cost.gsi += g
        else:
            raise ValueError(f"no price for {op}")
        return cost


def _is_bookkeeping(call: Call) -> bool:
    p = call.params
    target = p.get("Key") or p.get("Item") or {}
    return call.operation in ("UpdateItem", "PutItem", "DeleteItem", "GetItem") and str(
        target.get("pk", {}).get("S", "")
    ).startswith(BOOKKEEPING)


@dataclass(frozen=True)
class Op:
    name: str
    route: str
    run: Any  # (Api, state) -> None
    rewrite: bool = False  # reads an item only to write it whole: an update expression needs no read
    note: str = ""


def _snapshot(client: Any, tables: list[str]) -> dict[Key, Any]:
    items: dict[Key, Any] = {}
    for t in tables:
        for page in client.get_paginator("scan").paginate(TableName=t, ConsistentRead=True):
            for item in page["Items"]:
                items[(t, item["pk"]["S"], item["sk"]["S"])] = item
    return items


def _measure(api: Api, dynamo: Dynamo, op: Op, state: dict[str, Any], raw: Any) -> Measured:
    store = api.app.store
    tables = sorted(store.layout.tables())
    indexes = store.layout.tables()
    before = _snapshot(raw, tables)
    with recording() as calls:
        op.run(api, state)
    after = _snapshot(raw, tables)
    pricer = Pricer(before, after, indexes)
    actual, bookkeeping, minimum = Cost(), Cost(), Cost()
    data_calls = [c for c in calls if not _is_bookkeeping(c)]
    for c in calls:
        (bookkeeping if _is_bookkeeping(c) else actual).add(pricer.price(c))
    for i, c in enumerate(data_calls):
        is_rewrite_read = (
            op.rewrite
            and c.operation == "GetItem"
            and i + 1 < len(data_calls)
            and data_calls[i + 1].operation == "TransactWriteItems"
            and len(data_calls[i + 1].params["TransactItems"]) == 1
        )
        if not is_rewrite_read:
            minimum.add(pricer.price(c, plain=True, rewrite=op.rewrite))
    actual.add(bookkeeping)  # the actual figures include the bookkeeping; it is also shown apart
    return Measured(
        op.name, op.route, actual, bookkeeping, minimum, sum(1 for c in calls if c.operation == "Scan"), op.note
    )


# --- the scenario: every operation once, in an order where each has what it needs -----------

OWNER, STAFF = "capacity-owner", "capacity-staff"


def _stripe(api: Api) -> Any:
    import os

    from dogcare.testing.payment_gateway import InMemoryPaymentGateway

    app = api.app
    if app.payment_gateway is None:
        app.payment_gateway = InMemoryPaymentGateway(webhook_secret=os.environ["DOGCARE_STRIPE_WEBHOOK_SECRET"])
    return app.payment_gateway


def _webhook(api: Api, intent_id: str) -> Any:
    stripe = _stripe(api)
    event = next(e for e in stripe.events_of("payment_intent.succeeded") if e["data"]["object"]["id"] == intent_id)
    body, signature = stripe.signed_event(event)
    response = api.gateway.invoke(
        "POST", "/payments/webhook", {"Content-Type": "application/json", "Stripe-Signature": signature}, body
    )
    assert response.status == 200, response.body


def _pay(api: Api, s: dict[str, Any], booking: str) -> dict[str, Any]:
    _stripe(api)
    return api.ok(OWNER, "POST", "/payments", {"booking_id": s[booking]})


def _succeed(api: Api, s: dict[str, Any], payment: dict[str, Any]) -> None:
    _stripe(api).succeed(payment["provider_reference"])
    s["intent"] = payment["provider_reference"]


def operations() -> list[Op]:
    month_from, month_to = day(1, 0).isoformat(), day(31, 0).isoformat()

    return [
        Op(
            "register",
            "POST /owners/register",
            lambda api, s: api.register(OWNER, "Ana Lima", "ana@example.com"),
        ),
        Op("get profile", "GET /owners/profile", lambda api, s: api.ok(OWNER, "GET", "/owners/profile")),
        Op(
            "update profile",
            "PUT /owners/profile",
            lambda api, s: api.ok(OWNER, "PUT", "/owners/profile", {"name": "Ana M. Lima"}),
            rewrite=True,
        ),
        Op("add dog", "POST /dogs", lambda api, s: s.update(dog=api.ok(OWNER, "POST", "/dogs", dog_body())["id"])),
        Op("get dog", "GET /dogs/{id}", lambda api, s: api.ok(OWNER, "GET", f"/dogs/{s['dog']}")),
        Op("list dogs (2)", "GET /dogs", lambda api, s: api.ok(OWNER, "GET", "/dogs")),
        Op(
            "update dog",
            "PUT /dogs/{id}",
            lambda api, s: api.ok(OWNER, "PUT", f"/dogs/{s['dog']}", {"name": "Max"}),
            rewrite=True,
        ),
        Op(
            "create booking (daycare)",
            "POST /bookings",
            lambda api, s: s.update(b1=api.ok(OWNER, "POST", "/bookings", booking_body(s["dog"], 3))["id"]),
        ),
        Op(
            "create booking (boarding, 3 nights)",
            "POST /bookings",
            lambda api, s: s.update(
                b2=api.ok(
                    OWNER,
                    "POST",
                    "/bookings",
                    {**booking_body(s["dog2"], 5), "service_type": "boarding", "end_time": day(8, 11).isoformat()},
                )["id"]
            ),
            note="3 capacity days, 4 roster days",
        ),
        Op(
            "create booking (Idempotency-Key)",
            "POST /bookings",
            lambda api, s: s.update(
                b3=api.ok(
                    OWNER, "POST", "/bookings", booking_body(s["dog"], 10), **{"Idempotency-Key": "capacity-key-0001"}
                )["id"]
            ),
            note="the key's record is bookkeeping",
        ),
        Op("get booking", "GET /bookings/{id}", lambda api, s: api.ok(OWNER, "GET", f"/bookings/{s['b1']}")),
        Op(
            "list bookings in a month",
            "GET /bookings?from&to",
            lambda api, s: api.ok(OWNER, "GET", f"/bookings?from={month_from}&to={month_to}".replace("+", "%2B")),
        ),
        Op(
            "update instructions",
            "PUT /bookings/{id}",
            lambda api, s: api.ok(OWNER, "PUT", f"/bookings/{s['b1']}", {"special_instructions": "shy with cats"}),
            rewrite=True,
        ),
        Op(
            "reschedule booking",
            "PUT /bookings/{id}",
            lambda api, s: api.ok(
                OWNER,
                "PUT",
                f"/bookings/{s['b3']}",
                {"start_time": day(11, 9).isoformat(), "end_time": day(11, 17).isoformat()},
            ),
        ),
        Op(
            "cancel booking (unpaid)",
            "DELETE /bookings/{id}",
            lambda api, s: api.ok(OWNER, "DELETE", f"/bookings/{s['b3']}"),
        ),
        Op(
            "start payment",
            "POST /payments",
            lambda api, s: s.update(p1=_pay(api, s, "b1")),
            note="plus one call to the payment provider",
        ),
        Op(
            "payment webhook (succeeded)",
            "POST /payments/webhook",
            lambda api, s: (_succeed(api, s, s["p1"]), _webhook(api, s["intent"])),
        ),
        Op("get payment", "GET /payments/{id}", lambda api, s: api.ok(OWNER, "GET", f"/payments/{s['p1']['id']}")),
        Op(
            "day roster",
            "GET /admin/bookings?date",
            lambda api, s: api.ok(STAFF, "GET", f"/admin/bookings?date={day(3).date().isoformat()}", admin=True),
        ),
        Op(
            "check in",
            "POST /admin/bookings/{id}/check-in",
            lambda api, s: api.ok(STAFF, "POST", f"/admin/bookings/{s['b1']}/check-in", admin=True),
        ),
        Op(
            "check out",
            "POST /admin/bookings/{id}/check-out",
            lambda api, s: api.ok(STAFF, "POST", f"/admin/bookings/{s['b1']}/check-out", admin=True),
        ),
        Op(
            "cancel booking (paid: refund)",
            "DELETE /bookings/{id}",
            lambda api, s: api.ok(OWNER, "DELETE", f"/bookings/{s['b2']}"),
            note="plus one refund at the payment provider",
        ),
        Op(
            "list owners (staff)",
            "GET /admin/owners",
            lambda api, s: api.ok(STAFF, "GET", "/admin/owners?limit=20", admin=True),
        ),
        Op("delete dog", "DELETE /dogs/{id}", lambda api, s: api.ok(OWNER, "DELETE", f"/dogs/{s['dog3']}")),
    ]


def _prepare(api: Api, op: Op, s: dict[str, Any]) -> None:
    """Set-up that is not part of the measured operation."""
    if op.name == "list dogs (2)" and "dog2" not in s:
        s["dog2"] = api.ok(OWNER, "POST", "/dogs", dog_body("Bella"))["id"]
    if op.name == "cancel booking (paid: refund)":
        payment = api.ok(OWNER, "POST", "/payments", {"booking_id": s["b2"]})
        _succeed(api, s, payment)
        _webhook(api, s["intent"])
    if op.name == "delete dog":
        s["dog3"] = api.ok(OWNER, "POST", "/dogs", dog_body("Old Timer"))["id"]


def run(dynamo: Dynamo) -> Section:
    measured: list[Measured] = []
    raw = dynamo.client()
    with functions_in_process(dynamo, "bench-capacity") as api:
        _stripe(api)
        state: dict[str, Any] = {}
        for op in operations():
            _prepare(api, op, state)
            measured.append(_measure(api, dynamo, op, state, raw))

    rows = []
    for m in measured:
        rows.append(
            [
                f"{m.name}<br>`{m.route}`",
                m.actual.describe(),
                num(m.actual.rru, 1),
                num(m.actual.wru, 0),
                num(m.actual.gsi, 0),
                f"{sum(m.bookkeeping.requests.values())} / {num(m.bookkeeping.write_units, 0)} WRU",
                m.minimum.describe(),
                num(m.minimum.rru, 1),
                num(m.minimum.write_units, 0),
                times(sum(m.actual.requests.values()) / max(1, sum(m.minimum.requests.values()))),
                times(m.actual.dollars / m.minimum.dollars if m.minimum.dollars else float("nan")),
                m.note,
            ]
        )
    scans = sum(m.scans for m in measured)
    body = "\n\n".join(
        [
            table(
                [
                    "operation",
                    "requests",
                    "RRU",
                    "WRU table",
                    "WRU index",
                    "bookkeeping (req / units)",
                    "minimum requests",
                    "min RRU",
                    "min WRU (table+index)",
                    "requests xmin",
                    "cost xmin",
                    "note",
                ],
                rows,
            ),
            f"**Scans: {scans}** (every read is a GetItem, BatchGetItem or Query on a key).",
        ]
    )

    def data_ratio(m: Measured) -> float:
        data_cost = m.actual.dollars - m.bookkeeping.dollars
        return data_cost / m.minimum.dollars if m.minimum.dollars else float("nan")

    worst = max(measured, key=data_ratio)
    reads = [m for m in measured if m.minimum.write_units == 0]
    read_ratio = [m.actual.dollars / m.minimum.dollars for m in reads]
    summary = (
        f"{len(measured)} operations, no Scan. Every request also counts itself for the rate limit: one "
        f"UpdateItem of 1 WRU, which makes a read cost {min(read_ratio):.0f}-{max(read_ratio):.0f}x its minimum "
        f"(a write unit costs five read units). Without that bookkeeping the largest excess is '{worst.name}' at "
        f"{times(data_ratio(worst))}: single-item changes are one-action transactions (twice the write units) "
        "written back whole after a read."
    )
    return Section(
        3, "Round trips and capacity", summary, body, data={"ops": {m.name: m for m in measured}, "scans": scans}
    )
