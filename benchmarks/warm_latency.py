"""2. Warm latency: the full path against the raw DynamoDB calls the same operation needs.

The full path is ``LocalGateway.invoke`` in this process: the REST event, the authorizer's
token check, the handler (Powertools resolver, validation), the service, the library and the
DynamoDB requests to the local server. The baseline sends the very requests the full path sent
(recorded from it) with a plain boto3 client to the same endpoint: for a write, the previous
full-path request with fresh ids (a booking of another dog of another owner), the schedule
revision taken from the baseline's own read, exactly as hand-written code would. The two are
interleaved, alternating which goes first, so both see the same machine.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from benchmarks.common import (
    Api,
    Call,
    Dynamo,
    Section,
    booking_body,
    dog_body,
    functions_in_process,
    median,
    num,
    percentile,
    ratio,
    recording,
    table,
    times,
)
from dogcare.domain.ids import owner_id_for

ITERATIONS = 500
WARMUP = 20
TARGET = 1.3
FULL, RAW = "warm-full", "warm-raw"


def _substitute(params: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(params)
    for old, new in replacements.items():
        text = text.replace(old, new)
    result: dict[str, Any] = json.loads(text)
    return result


def _set_schedule_revision(transaction: dict[str, Any], dog_id: str, revision: str) -> None:
    """Make the schedule update's ``rev = :x`` condition expect ``revision``."""
    for action in transaction["TransactItems"]:
        body = action.get("Update")
        if not body or body["Key"]["pk"]["S"] != f"DOG#{dog_id}" or body["Key"]["sk"]["S"] != "#SCHEDULE":
            continue
        names = {v: k for k, v in body.get("ExpressionAttributeNames", {}).items()}
        placeholder = names.get("rev")
        condition = body.get("ConditionExpression", "")
        found = re.search(re.escape(placeholder) + r" = (:\w+)", condition) if placeholder else None
        if found:
            body["ExpressionAttributeValues"][found.group(1)] = {"N": revision}


class Raw:
    """The baseline: the recorded requests, sent with a plain boto3 client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, call: Call, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response: dict[str, Any] = self.client._make_api_call(call.operation, params or call.params)
        return response


def _calls(action: Callable[[], Any]) -> list[Call]:
    with recording() as calls:
        action()
    return list(calls)


def run(dynamo: Dynamo, iterations: int = ITERATIONS) -> Section:
    raw = Raw(dynamo.client())
    results: dict[str, tuple[list[float], list[float]]] = {}
    authorizer_ms: list[float] = []
    with functions_in_process(dynamo, "bench-warm") as api:
        ids = _setup(api)

        # --- reads: the same requests, replayed -------------------------------------------
        for name, path in (("get dog", f"/dogs/{ids['dog']}"), ("list dogs (3)", "/dogs")):
            template = _calls(lambda path=path: api.ok(FULL, "GET", path))
            full, base = [], []
            for i in range(WARMUP + iterations):
                pair = [
                    ("full", lambda path=path: api.ok(FULL, "GET", path)),
                    ("raw", lambda template=template: [raw.send(c) for c in template]),
                ]
                for label, action in pair if i % 2 == 0 else reversed(pair):
                    began = time.perf_counter()
                    action()
                    elapsed = (time.perf_counter() - began) * 1000
                    if i >= WARMUP:
                        (full if label == "full" else base).append(elapsed)
            results[name] = (full, base)

        # --- writes: create and cancel a booking, then the same for the baseline ------------
        create_full: list[float] = []
        create_raw: list[float] = []
        cancel_full: list[float] = []
        cancel_raw: list[float] = []
        body = booking_body(ids["dog"], 4)
        templates: dict[str, list[Call]] = {}
        for i in range(WARMUP + iterations + 1):
            steps = {
                "create-full": lambda: _full_create(api, body, templates),
                "create-raw": lambda: _raw_create(raw, ids, templates),
                "cancel-full": lambda: _full_cancel(api, templates),
                "cancel-raw": lambda: _raw_cancel(raw, templates),
            }
            if i == 0:  # the first round only records the templates
                steps["create-full"]()
                steps["cancel-full"]()
                continue
            order = ["create-full", "create-raw", "cancel-full", "cancel-raw"]
            if i % 2:
                order = ["create-raw", "create-full", "cancel-raw", "cancel-full"]
            for step in order:
                began = time.perf_counter()
                steps[step]()
                elapsed = (time.perf_counter() - began) * 1000
                if i > WARMUP:
                    {
                        "create-full": create_full,
                        "create-raw": create_raw,
                        "cancel-full": cancel_full,
                        "cancel-raw": cancel_raw,
                    }[step].append(elapsed)
        results["create booking"] = (create_full, create_raw)
        results["cancel booking"] = (cancel_full, cancel_raw)

        # The authorizer's share: the token check alone.
        headers = api.headers(FULL)
        for _ in range(200):
            began = time.perf_counter()
            api.gateway.authorize(headers)
            authorizer_ms.append((time.perf_counter() - began) * 1000)

    rows, data = [], {}
    for name, (full, base) in results.items():
        p50, p99 = ratio(median(full), median(base)), ratio(percentile(full, 99), percentile(base, 99))
        data[name] = {
            "full_p50": median(full),
            "raw_p50": median(base),
            "overhead_ms": median(full) - median(base),
            "ratio_p50": p50,
            "ratio_p99": p99,
        }
        rows.append(
            [
                name,
                len(full),
                num(median(base), 2),
                num(median(full), 2),
                times(p50),
                num(percentile(base, 99), 2),
                num(percentile(full, 99), 2),
                times(p99),
                num(median(full) - median(base), 2),
                "yes" if max(p50, p99) <= TARGET else "**no**",
            ]
        )
    missed = [name for name, v in data.items() if max(v["ratio_p50"], v["ratio_p99"]) > TARGET]
    summary = (
        f"Full path against the raw boto3 requests: p50 {', '.join(times(v['ratio_p50']) for v in data.values())}, "
        f"p99 {', '.join(times(v['ratio_p99']) for v in data.values())} for {', '.join(data)} (target <= {TARGET}x: "
        + (f"missed at p99 by {', '.join(missed)}" if missed else "met")
        + f"); the handler adds {num(min(v['overhead_ms'] for v in data.values()), 1)}-"
        f"{num(max(v['overhead_ms'] for v in data.values()), 1)} ms at p50, of which the token check is "
        f"{num(median(authorizer_ms), 2)} ms."
    )
    body_md = table(
        [
            "operation",
            "n",
            "raw p50 ms",
            "full p50 ms",
            "p50 xraw",
            "raw p99 ms",
            "full p99 ms",
            "p99 xraw",
            "overhead p50 ms",
            f"<= {TARGET}x",
        ],
        rows,
    )
    return Section(
        2, "Warm latency overhead", summary, body_md, data={"ops": data, "authorizer_ms": median(authorizer_ms)}
    )


def _setup(api: Api) -> dict[str, str]:
    ids: dict[str, str] = {}
    for sub in (FULL, RAW):
        api.register(sub, "Bench Owner", f"{sub}@example.com")
    ids["dog"] = api.ok(FULL, "POST", "/dogs", dog_body("Rex"))["id"]
    for name in ("Bella", "Luna"):
        api.ok(FULL, "POST", "/dogs", dog_body(name))
    ids["raw_dog"] = api.ok(RAW, "POST", "/dogs", dog_body("Rex"))["id"]
    ids["owner"] = owner_id_for(FULL)
    ids["raw_owner"] = owner_id_for(RAW)
    return ids


def _full_create(api: Api, body: dict[str, Any], templates: dict[str, Any]) -> None:
    with recording() as calls:
        booking = api.ok(FULL, "POST", "/bookings", body)
    templates["create"] = (booking["id"], list(calls))
    templates["booking"] = booking["id"]


def _full_cancel(api: Api, templates: dict[str, Any]) -> None:
    booking_id = templates["booking"]
    with recording() as calls:
        api.ok(FULL, "DELETE", f"/bookings/{booking_id}")
    templates["cancel"] = (booking_id, list(calls))


def _raw_create(raw: Raw, ids: dict[str, str], templates: dict[str, Any]) -> None:
    """The recorded create, for the baseline's own dog and owner, with a fresh booking id."""
    template_booking, calls = templates["create"]
    new_booking = f"booking-{uuid.uuid4()}"
    swap = {template_booking: new_booking, ids["dog"]: ids["raw_dog"], ids["owner"]: ids["raw_owner"]}
    revision = "0"
    for call in calls:
        params = _substitute(call.params, swap)
        if call.operation == "BatchGetItem":
            response = raw.send(call, params)
            for rows in response.get("Responses", {}).values():
                for row in rows:
                    if row["sk"]["S"] == "#SCHEDULE":
                        revision = row.get("rev", {"N": "0"})["N"]
            continue
        if call.operation == "TransactWriteItems":
            _set_schedule_revision(params, ids["raw_dog"], revision)
        raw.send(call, params)
    templates["raw_booking"] = new_booking
    templates["raw_swap"] = swap


def _raw_cancel(raw: Raw, templates: dict[str, Any]) -> None:
    template_booking, calls = templates["cancel"]
    swap = {**templates["raw_swap"], template_booking: templates["raw_booking"]}
    for call in calls:
        raw.send(call, _substitute(call.params, swap))
