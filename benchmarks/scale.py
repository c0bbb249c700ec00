"""4. Scale: one owner's reads with 100 and with 100,000 other owners' items in the table.

The owner has two dogs and bookings this month, and a day roster with a fixed set of bookings.
Other owners' items (profile, email guard, dog, schedule, bookings and their roster days, on
other days) are written straight into the table with BatchWriteItem, in the library's own item
format. Each read runs through the full path and, interleaved, as the same raw Query; both are
timed at 100 and at 100,000 other items, and DynamoDB's work is counted from the answers.

moto evaluates every Query by walking every item of the table, so its time grows with the table
whatever the key; DynamoDB reads only the key's partition. The raw Query's own growth shows the
emulator's share, the full path minus the raw Query shows the library's, and the items a Query
evaluated (ScannedCount) and its read units are what DynamoDB would bill and do.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
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
    median,
    num,
    ratio,
    recording,
    table,
    times,
    units,
)

SMALL, LARGE = 100, 100_000
LOAD_BUDGET_SECONDS = 240  # if loading is slower than this, stop and say how far it got
MEASURE_BUDGET_SECONDS = 150  # per size: fewer runs when moto's Query is slow
CONTROL_WAIT_SECONDS = 3.0  # about what moto's Query takes at 100,000 items on this machine
CONTROL_BUDGET_SECONDS = 60
ITERATIONS = 20
TARGET = 1.2
OWNER, STAFF = "scale-owner", "scale-staff"
ROSTER_OFFSET = 5  # days from today


def _other_items(api: Api, roster_day: date) -> Iterator[dict[str, Any]]:
    """Items of other owners, ten per owner, in the library's format (never on the roster day)."""
    from dogcare.domain.model import Booking, Dog, Owner, Vaccination
    from dogcare.domain.money import Money

    app = api.app
    now = datetime.now(UTC).replace(microsecond=0)
    n = 0
    while True:
        owner_id = f"owner-{uuid.uuid4()}"
        owner = Owner(owner_id, f"Owner {n}", f"other-{n}@example.com", "+1 555 0100", None, now, now, 0)
        yield app.owner_repository._item(owner).serialize()
        yield app.owner_repository._guard(owner.email, owner_id).serialize()
        dog = Dog(
            f"dog-{uuid.uuid4()}",
            owner_id,
            f"Dog {n}",
            "Beagle",
            5,
            "medium",
            tuple(Vaccination(v, date(2031, 1, 1)) for v in ("rabies", "dhpp", "bordetella")),
            "up-to-date",
            (),
            None,
            now,
            now,
            0,
        )
        yield app.dog_repository._item(dog).serialize()
        schedule = app.store.models.DogSchedule(f"DOG#{dog.id}", "#SCHEDULE", dog_id=dog.id, intervals={}, rev=0)
        yield schedule.serialize()
        for k in range(3):
            offset = 1 + (n * 3 + k) % 60
            if offset == ROSTER_OFFSET:
                offset += 1
            start = datetime.combine(
                roster_day + timedelta(days=offset - ROSTER_OFFSET), datetime.min.time(), UTC
            ) + timedelta(hours=9)
            booking = Booking(
                f"booking-{uuid.uuid4()}",
                owner_id,
                dog.id,
                "daycare",
                start,
                start + timedelta(hours=8),
                "confirmed",
                Money(4500, "USD"),
                None,
                None,
                now,
                now,
                1,
            )
            yield app.booking_repository._item(booking).serialize()
            yield app.booking_repository._day_item(booking, start.date(), dog.name).serialize()
        n += 1


def _load(client: Any, table_name: str, items: Iterator[dict[str, Any]], count: int, deadline: float) -> int:
    written, batch = 0, []
    while written < count and time.monotonic() < deadline:
        batch.append({"PutRequest": {"Item": next(items)}})
        if len(batch) == 25 or written + len(batch) == count:
            pending: dict[str, Any] = {table_name: batch}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            written += len(batch)
            batch = []
    return written


@contextmanager
def _dynamodb_time(query_wait: float = 0.0) -> Iterator[list[float]]:
    """Seconds spent inside DynamoDB requests (botocore's ``_make_api_call``) during the block.
    ``query_wait``: make every Query answer that much later (counted as DynamoDB's time)."""
    from botocore.client import BaseClient

    spent = [0.0]
    original = BaseClient._make_api_call

    def timed(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        began = time.perf_counter()
        try:
            if query_wait and operation_name == "Query":
                time.sleep(query_wait)
            return original(self, operation_name, api_params)
        finally:
            spent[0] += time.perf_counter() - began

    BaseClient._make_api_call = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _measure(
    api: Api, raw: Any, reads: dict[str, tuple[str, str, bool]], budget: float, query_wait: float = 0.0
) -> dict[str, dict[str, Any]]:
    """Per read: full-path ms, raw ms, the full path's own (non-DynamoDB) ms, and DynamoDB's work.
    As many interleaved runs as fit ``budget`` seconds (between 7 and ``ITERATIONS``)."""
    found: dict[str, dict[str, Any]] = {}
    for name, (sub, path, admin) in reads.items():
        with recording() as recorded:
            api.ok(sub, "GET", path, admin=admin)
        template: list[Call] = list(recorded)
        query = next(c for c in template if c.operation == "Query")
        one = time.perf_counter()
        raw._make_api_call("Query", query.params)
        per_query = time.perf_counter() - one
        per_query += query_wait
        runs = max(7, min(ITERATIONS, int(budget / len(reads) / (4 * per_query + 0.01))))
        full, base, own = [], [], []

        def full_path(sub: str = sub, path: str = path, admin: bool = admin) -> tuple[float, float]:
            """(total ms, ms outside DynamoDB requests) of one full-path read."""
            with _dynamodb_time(query_wait) as spent:
                began = time.perf_counter()
                api.ok(sub, "GET", path, admin=admin)
                total = time.perf_counter() - began
            return total * 1000, (total - spent[0]) * 1000

        def raw_path(template: list[Call] = template) -> float:
            began = time.perf_counter()
            for c in template:
                raw._make_api_call(c.operation, c.params)
            return (time.perf_counter() - began) * 1000

        for i in range(runs + 1):
            full_first = i % 2 == 0
            if full_first:
                total, outside = full_path()
            base_ms = raw_path()
            if not full_first:
                total, outside = full_path()
            if i >= 1:  # the first round warms both
                full.append(total)
                own.append(outside)
                base.append(base_ms)
        answer = raw._make_api_call("Query", query.params)
        size = sum(item_size(i) for i in answer.get("Items", []))
        found[name] = {
            "runs": runs,
            "full": median(full),
            "raw": median(base),
            "own": median(own),
            "count": answer.get("Count", 0),
            "scanned": answer.get("ScannedCount", 0),
            "rru": units(size, 4096) * (1 if query.params.get("ConsistentRead") else 0.5),
        }
    return found


def run(dynamo: Dynamo, large: int = LARGE) -> Section:
    raw = dynamo.client()
    roster_day = day(ROSTER_OFFSET).date()
    with functions_in_process(dynamo, "bench-scale") as api:
        table_name = f"{api.app.settings.table_prefix}-data"
        api.register(OWNER, "Scale Owner", "scale@example.com")
        dogs = [api.ok(OWNER, "POST", "/dogs", dog_body(n))["id"] for n in ("Rex", "Bella")]
        for i, offset in enumerate((2, 4, ROSTER_OFFSET, 9, 14, 20)):
            api.ok(OWNER, "POST", "/bookings", booking_body(dogs[i % 2], offset))
        for n in range(6):  # others on the roster day: the roster is the same at both sizes
            sub = f"scale-neighbour-{n}"
            api.register(sub, f"Neighbour {n}", f"{sub}@example.com")
            dog = api.ok(sub, "POST", "/dogs", dog_body())["id"]
            api.ok(sub, "POST", "/bookings", booking_body(dog, ROSTER_OFFSET))
        month_from, month_to = day(1, 0).isoformat(), day(31, 0).isoformat()
        reads = {
            "list my dogs": (OWNER, "/dogs", False),
            "list my bookings in a month": (
                OWNER,
                f"/bookings?from={month_from}&to={month_to}".replace("+", "%2B"),
                False,
            ),
            "day roster": (STAFF, f"/admin/bookings?date={roster_day.isoformat()}&limit=100", True),
        }
        items = _other_items(api, roster_day)
        deadline = time.monotonic() + LOAD_BUDGET_SECONDS
        loaded = _load(raw, table_name, items, SMALL, deadline)
        small = _measure(api, raw, reads, MEASURE_BUDGET_SECONDS)
        # A control for the library's own time: the small table, each Query answered after as long a
        # wait as moto takes at the large size (code that runs right after a wait of seconds is slower).
        waited = _measure(api, raw, reads, CONTROL_BUDGET_SECONDS, query_wait=CONTROL_WAIT_SECONDS)
        began = time.monotonic()
        loaded += _load(raw, table_name, items, large - SMALL, deadline)
        load_seconds = time.monotonic() - began
        big = _measure(api, raw, reads, MEASURE_BUDGET_SECONDS)

    rows, data = [], {}
    for name in reads:
        s_, w, b = small[name], waited[name], big[name]
        full_ratio = ratio(b["full"], s_["full"])
        data[name] = {
            "ratio": full_ratio,
            "raw_ratio": ratio(b["raw"], s_["raw"]),
            "own_ratio": ratio(b["own"], s_["own"]),
            "own_ratio_waited": ratio(b["own"], w["own"]),
            "scanned": (s_["scanned"], b["scanned"]),
        }
        rows.append(
            [
                name,
                f"{s_['runs']} / {b['runs']}",
                f"{s_['count']} / {b['count']}",
                f"{s_['scanned']} / {b['scanned']}",
                f"{num(s_['rru'], 1)} / {num(b['rru'], 1)}",
                num(s_["full"], 1),
                num(b["full"], 1),
                times(full_ratio),
                num(s_["raw"], 1),
                num(b["raw"], 1),
                times(ratio(b["raw"], s_["raw"])),
                num(s_["own"], 2),
                num(w["own"], 2),
                num(b["own"], 2),
                times(ratio(b["own"], w["own"])),
            ]
        )
    scale_note = (
        f"Other owners' items: {SMALL:,} and {loaded:,} (loaded in {num(load_seconds, 0)} s with "
        "BatchWriteItem)" + ("" if loaded >= large else f"; {large:,} did not fit the {LOAD_BUDGET_SECONDS} s budget")
    )
    body = "\n\n".join(
        [
            scale_note + "; medians of interleaved runs, milliseconds. *Library ms* is the full path's time "
            "outside DynamoDB requests, measured inside each run: the same work at both sizes (the same requests "
            "and items). At the large size the library resumes after a wait of seconds for moto, and code that "
            f"runs right after such a wait is slower on this machine, so the control is the small table with each "
            f"Query answered {CONTROL_WAIT_SECONDS:.0f} s late (*waited*).",
            table(
                [
                    "read",
                    "runs",
                    "items returned",
                    "items evaluated (ScannedCount)",
                    "RRU",
                    "full ms (small)",
                    "full ms (large)",
                    "full large/small",
                    "raw Query ms (small)",
                    "raw Query ms (large)",
                    "raw large/small",
                    "library ms (small)",
                    "library ms (small, waited)",
                    "library ms (large)",
                    "library large/waited",
                ],
                rows,
            ),
        ]
    )
    summary = (
        f"With {loaded:,} other items instead of {SMALL}: the same items evaluated and read units per read; "
        f"full-path latency ratios {', '.join(times(d['ratio']) for d in data.values())} on moto (target <= "
        f"{TARGET}x, missed: moto walks the whole table per Query, raw-Query ratios "
        f"{', '.join(times(d['raw_ratio']) for d in data.values())}); the library's own time "
        f"{', '.join(times(d['own_ratio_waited']) for d in data.values())} of the control's."
    )
    return Section(4, "Scale", summary, body, data={"reads": data, "loaded": loaded})
