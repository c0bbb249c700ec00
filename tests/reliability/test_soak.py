"""A bounded soak: many owners on real threads drive ``dogcare serve`` over HTTP with a mixed
workload for a fixed number of requests. No 5xx, and afterwards every invariant holds.

It prints the throughput and latency percentiles of the run (they depend on the machine and
on moto; the benchmarks in ``benchmarks/`` are the place for comparable figures).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Server, start_server
from tests.reliability.api import booking_body, day, dog_body
from tests.reliability.invariants import Rules, plain, summary, violations

pytestmark = [pytest.mark.e2e, pytest.mark.server]

OWNERS = 40
THREADS = 8
REQUESTS = 1500  # the mixed workload, after each owner registered and added a dog
CAPACITY = 12  # per day and service: small, so the last places are contended
DAYS = 6
SEED = 20300304

# operation -> weight in the mix
MIX = {
    "list-dogs": 16,
    "get-dog": 8,
    "profile": 6,
    "list-bookings": 14,
    "get-booking": 8,
    "create-booking": 24,
    "annotate-booking": 6,
    "reschedule-booking": 5,
    "cancel-booking": 8,
    "roster": 5,
}
EXPECTED = {  # statuses each operation may answer in a correct run (nothing is ever deleted: no 404)
    "list-dogs": {200},
    "get-dog": {200},
    "profile": {200},
    "list-bookings": {200},
    "get-booking": {200},
    "create-booking": {201, 409},  # capacity full, overlapping stay, too many unpaid, retry-later
    "annotate-booking": {200, 409, 412},  # cancelled meanwhile; changed by another request
    "reschedule-booking": {200, 409, 412, 422},  # + times in the past or not bookable
    "cancel-booking": {200, 409},
    "roster": {200},
}


@pytest.fixture(scope="module")
def soak_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("soak-home"),
        DOGCARE_RATE_LIMIT_PER_MINUTE="100000000",
        DOGCARE_DEFAULT_DAILY_CAPACITY=str(CAPACITY),
        DOGCARE_MAX_PENDING_BOOKINGS="6",
    )
    yield srv
    srv.stop()


@dataclass
class Owner:
    sub: str
    headers: dict[str, str]
    dogs: list[str] = field(default_factory=list)
    bookings: dict[str, int] = field(default_factory=dict)  # booking id -> last known version
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    by_op: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, status: int, seconds: float, body: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.by_op.setdefault(op, []).append(seconds * 1000)
            self.statuses[(op, status)] += 1
            if status >= 500 or status not in EXPECTED[op]:
                self.unexpected.append(f"{op} -> {status}: {body[:200]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _worker(
    server: Server, owners: list[Owner], admin: dict[str, str], run: Run, quota: list[int], rng: random.Random
) -> None:
    session = requests.Session()
    ops, weights = zip(*MIX.items(), strict=True)
    while True:
        with run.lock:
            if quota[0] <= 0:
                return
            quota[0] -= 1
        owner = rng.choice(owners)
        op = rng.choices(ops, weights)[0]
        booking_id = None
        with owner.lock:
            if owner.bookings:
                booking_id = rng.choice(sorted(owner.bookings))
                version = owner.bookings[booking_id]
        if op in ("get-booking", "annotate-booking", "reschedule-booking", "cancel-booking") and booking_id is None:
            op = "create-booking"
        url, method, body, headers = server.url, "GET", None, owner.headers
        offset = rng.randint(2, 1 + DAYS)
        if op == "list-dogs":
            url += "/dogs"
        elif op == "get-dog":
            url += f"/dogs/{rng.choice(owner.dogs)}"
        elif op == "profile":
            url += "/owners/profile"
        elif op == "list-bookings":
            url += f"/bookings?limit={rng.choice([5, 20])}"
        elif op == "get-booking":
            url += f"/bookings/{booking_id}"
        elif op == "create-booking":
            method, url = "POST", url + "/bookings"
            start = rng.choice([8, 9, 10, 11, 12, 13])
            body = booking_body(rng.choice(owner.dogs), offset, start, start + rng.choice([2, 4, 6]))
        elif op == "annotate-booking":
            method, url = "PUT", url + f"/bookings/{booking_id}"
            body = {"special_instructions": f"note {rng.randint(1, 999)}"}
            headers = {**headers, "If-Match": f'"{version}"'}
        elif op == "reschedule-booking":
            method, url = "PUT", url + f"/bookings/{booking_id}"
            start = rng.choice([8, 10, 12])
            body = {"start_time": day(offset, start).isoformat(), "end_time": day(offset, start + 3).isoformat()}
        elif op == "cancel-booking":
            method, url = "DELETE", url + f"/bookings/{booking_id}"
        else:  # roster
            url += f"/admin/bookings?date={day(offset).date().isoformat()}&limit=100"
            headers = admin
        began = time.perf_counter()
        response = session.request(method, url, json=body, headers=headers, timeout=60)
        run.record(op, response.status_code, time.perf_counter() - began, response.text)
        if response.status_code in (200, 201) and op in (
            "create-booking",
            "annotate-booking",
            "reschedule-booking",
            "cancel-booking",
            "get-booking",
        ):
            data = response.json()
            with owner.lock:
                if data["status"] == "cancelled":
                    owner.bookings.pop(data["id"], None)
                else:
                    owner.bookings[data["id"]] = data["version"]
        elif response.status_code == 404 and booking_id:
            with owner.lock:
                owner.bookings.pop(booking_id, None)


def test_a_mixed_workload_of_many_owners_has_no_5xx_and_keeps_every_invariant(
    soak_server: Server, record_property: Callable[[str, object], None]
) -> None:
    from dogcare.auth.dev_issuer import DevIssuer

    server = soak_server
    issuer = DevIssuer(server.home)  # one issuer: its key is loaded once

    def headers(sub: str, admin: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.mint(sub, admin=admin)}", "Content-Type": "application/json"}

    owners = [Owner(f"soak-{i}", headers(f"soak-{i}")) for i in range(OWNERS)]
    admin = headers("soak-staff", admin=True)
    setup = requests.Session()
    for owner in owners:
        r = setup.post(
            f"{server.url}/owners/register",
            json={"name": owner.sub},
            headers={**owner.headers, "X-Id-Token": issuer.mint_id_token(owner.sub, f"{owner.sub}@example.com")},
            timeout=60,
        )
        assert r.status_code == 201, r.text
        for n in range(1 + owner.sub.endswith(("0", "5"))):
            r = setup.post(f"{server.url}/dogs", json=dog_body(f"Dog {n}"), headers=owner.headers, timeout=60)
            assert r.status_code == 201, r.text
            owner.dogs.append(r.json()["id"])

    run, quota = Run(), [REQUESTS]

    def guarded(rng: random.Random) -> None:
        try:
            _worker(server, owners, admin, run, quota, rng)
        except Exception as exc:  # a crashed client thread must say why, not just miss requests
            with run.lock:
                run.unexpected.append(f"client thread stopped: {exc!r}")

    threads = [threading.Thread(target=guarded, args=(random.Random(SEED + i),)) for i in range(THREADS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began

    assert not run.unexpected, "\n".join(run.unexpected[:20])
    assert sum(run.statuses.values()) == REQUESTS
    five_xx = sum(n for (_, status), n in run.statuses.items() if status >= 500)
    assert five_xx == 0

    items = _all_items(server)
    problems = violations(items, datetime.now(UTC), Rules(default_capacity=CAPACITY))
    assert not problems, "\n".join(problems[:30])

    ms = [s * 1000 for s in run.latencies]
    by_status = Counter()
    for (op, status), n in run.statuses.items():
        by_status[f"{op} {status}"] += n
    report = (
        f"soak: {REQUESTS} requests, {THREADS} threads, {OWNERS} owners in {elapsed:.1f} s = "
        f"{REQUESTS / elapsed:.1f} req/s; latency ms p50 {statistics.median(ms):.1f} "
        f"p95 {percentile(ms, 95):.1f} p99 {percentile(ms, 99):.1f} max {max(ms):.1f}; 5xx {five_xx}; "
        f"invariant violations {len(problems)}\n  statuses: {dict(sorted(by_status.items()))}\n"
        f"  items: {summary(items)}\n"
        + "\n".join(
            f"  {op:<20} n={len(v):>4} p50 {statistics.median(v):7.1f} ms  p99 {percentile(v, 99):7.1f} ms"
            for op, v in sorted(run.by_op.items())
        )
    )
    record_property("measured", report)  # printed in the session's summary (tests/conftest.py), xdist or not


def _all_items(server: Server) -> list[dict[str, Any]]:
    client = server.dynamodb()
    items: list[dict[str, Any]] = []
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items.extend(plain(i) for i in page["Items"])
    return items
