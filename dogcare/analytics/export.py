"""Export one entity type to JSON Lines, CSV or Parquet with typed columns.

Reads with a parallel segmented Scan (an analyst's tool, never on a request path), keeps
only items of the entity's type stamp, and writes through a temporary file that is renamed
into place at the end: an interrupted export leaves no half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from dogcare.domain.money import Money, exponent
from dogcare.facade import Dogcare
from dogcare.repositories.bookings import to_booking
from dogcare.repositories.owners import to_owner
from dogcare.repositories.payments import to_payment
from dogcare.storage.layout import LogicalTable

Entity = Literal["owners", "dogs", "bookings", "payments"]
Format = Literal["jsonl", "csv", "parquet"]
STAMPS: dict[Entity, str] = {"owners": "owner", "dogs": "dog", "bookings": "booking", "payments": "payment"}
# Column name -> type: string, int, timestamp, date, money (major units, beside a currency column), json.
COLUMNS: dict[Entity, list[tuple[str, str]]] = {
    "owners": [
        ("id", "string"),
        ("name", "string"),
        ("email", "string"),
        ("phone", "string"),
        ("street", "string"),
        ("city", "string"),
        ("state", "string"),
        ("zip", "string"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ],
    "dogs": [
        ("id", "string"),
        ("owner_id", "string"),
        ("name", "string"),
        ("breed", "string"),
        ("age", "int"),
        ("size", "string"),
        ("vaccination_status", "string"),
        ("vaccinations", "json"),
        ("special_needs", "json"),
        ("emergency_contact", "string"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ],
    "bookings": [
        ("id", "string"),
        ("owner_id", "string"),
        ("dog_id", "string"),
        ("service_type", "string"),
        ("start_time", "timestamp"),
        ("end_time", "timestamp"),
        ("status", "string"),
        ("price", "money"),
        ("currency", "string"),
        ("payment_id", "string"),
        ("special_instructions", "string"),
        ("checked_in_at", "timestamp"),
        ("checked_out_at", "timestamp"),
        ("cancelled_at", "timestamp"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ],
    "payments": [
        ("id", "string"),
        ("owner_id", "string"),
        ("booking_id", "string"),
        ("amount", "money"),
        ("amount_refunded", "money"),
        ("currency", "string"),
        ("status", "string"),
        ("provider", "string"),
        ("provider_reference", "string"),
        ("failure_reason", "string"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ],
}


def _major(money: Money) -> Decimal:
    return Decimal(money.amount).scaleb(-exponent(money.currency))


def row_of(app: Dogcare, entity: Entity, raw: dict[str, Any]) -> dict[str, Any]:
    """One stored item as a typed row (datetimes, Decimals in major units, lists)."""
    m = app.store.models
    if entity == "owners":
        o = to_owner(m.Owner.from_raw_data(raw))
        a = o.address
        return {
            "id": o.id,
            "name": o.name,
            "email": o.email,
            "phone": o.phone,
            "street": a.street if a else None,
            "city": a.city if a else None,
            "state": a.state if a else None,
            "zip": a.zip if a else None,
            "created_at": o.created_at,
            "updated_at": o.updated_at,
            "version": o.version,
        }
    if entity == "dogs":
        d = app.dog_repository.to_dog(m.Dog.from_raw_data(raw))
        return {
            "id": d.id,
            "owner_id": d.owner_id,
            "name": d.name,
            "breed": d.breed,
            "age": d.age,
            "size": d.size,
            "vaccination_status": d.vaccination_status,
            "vaccinations": [{"name": v.name, "expires_on": v.expires_on.isoformat()} for v in d.vaccinations],
            "special_needs": list(d.special_needs),
            "emergency_contact": d.emergency_contact,
            "created_at": d.created_at,
            "updated_at": d.updated_at,
            "version": d.version,
        }
    if entity == "bookings":
        b = to_booking(m.Booking.from_raw_data(raw))
        return {
            "id": b.id,
            "owner_id": b.owner_id,
            "dog_id": b.dog_id,
            "service_type": b.service_type,
            "start_time": b.start_time,
            "end_time": b.end_time,
            "status": b.status,
            "price": _major(b.price),
            "currency": b.price.currency,
            "payment_id": b.payment_id,
            "special_instructions": b.special_instructions,
            "checked_in_at": b.checked_in_at,
            "checked_out_at": b.checked_out_at,
            "cancelled_at": b.cancelled_at,
            "created_at": b.created_at,
            "updated_at": b.updated_at,
            "version": b.version,
        }
    p = to_payment(m.Payment.from_raw_data(raw))
    return {
        "id": p.id,
        "owner_id": p.owner_id,
        "booking_id": p.booking_id,
        "amount": _major(p.amount),
        "amount_refunded": _major(Money(p.amount_refunded, p.amount.currency)),
        "currency": p.amount.currency,
        "status": p.status,
        "provider": p.provider,
        "provider_reference": p.provider_reference,
        "failure_reason": p.failure_reason,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    }


def scan_items(app: Dogcare, entity: Entity, segments: int = 4) -> Iterator[list[dict[str, Any]]]:
    """Pages of raw items of one entity type, read by ``segments`` parallel scanners."""
    logical: LogicalTable = entity
    table = app.store.layout.table_name(logical)
    client = app.store.client
    pages: list[list[dict[str, Any]]] = []
    lock = threading.Condition()
    done = [0]

    def scanner(segment: int) -> None:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "Segment": segment,
            "TotalSegments": segments,
            "FilterExpression": "entity_type = :e",
            "ExpressionAttributeValues": {":e": {"S": STAMPS[entity]}},
        }
        try:
            while True:
                response = client.scan(**kwargs)
                with lock:
                    pages.append(response.get("Items", []))
                    lock.notify()
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        finally:
            with lock:
                done[0] += 1
                lock.notify()

    with ThreadPoolExecutor(max_workers=segments) as pool:
        futures = [pool.submit(scanner, s) for s in range(segments)]
        while True:
            with lock:
                while not pages and done[0] < segments:
                    lock.wait(timeout=1)
                batch = list(pages)
                pages.clear()
                finished = done[0] == segments
            yield from batch
            if finished and not batch:
                break
        for future in futures:
            future.result()  # re-raise a scanner's failure


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(type(value).__name__)


def _csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if kind in ("timestamp", "money"):
        return _json_default(value)
    return value


class _Writer:
    def __init__(self, entity: Entity, fmt: Format, path: Path) -> None:
        self.entity, self.fmt, self.path = entity, fmt, path
        self.columns = COLUMNS[entity]
        self.rows: list[dict[str, Any]] = []
        self.handle: Any = None
        self.csv: Any = None
        if fmt == "jsonl":
            self.handle = path.open("w", encoding="utf-8")
        elif fmt == "csv":
            self.handle = path.open("w", encoding="utf-8", newline="")
            self.csv = csv.DictWriter(self.handle, fieldnames=[c for c, _ in self.columns])
            self.csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        if self.fmt == "jsonl":
            self.handle.write(json.dumps(row, default=_json_default, ensure_ascii=False) + "\n")
        elif self.fmt == "csv":
            self.csv.writerow({name: _csv_cell(row[name], kind) for name, kind in self.columns})
        else:
            self.rows.append(row)

    def close(self) -> None:
        if self.fmt == "parquet":
            _write_parquet(self.entity, self.rows, self.path)
        elif self.handle:
            self.handle.close()


def _write_parquet(entity: Entity, rows: list[dict[str, Any]], path: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # an optional extra
        raise RuntimeError("Parquet needs pyarrow: pip install 'dogcare[analytics]'") from exc
    types = {
        "string": pa.string(),
        "int": pa.int64(),
        "timestamp": pa.timestamp("s", tz="UTC"),
        "money": pa.decimal128(14, 2),
        "json": pa.string(),
    }
    fields = [pa.field(name, types[kind]) for name, kind in COLUMNS[entity]]
    data = {name: [json.dumps(r[name]) if kind == "json" else r[name] for r in rows] for name, kind in COLUMNS[entity]}
    pq.write_table(pa.table(data, schema=pa.schema(fields)), path)


@dataclass
class ExportResult:
    path: Path
    items: int
    seconds: float


def export(
    app: Dogcare,
    entity: Entity,
    fmt: Format,
    out: Path,
    segments: int = 4,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.partial")
    writer = _Writer(entity, fmt, temp)
    count = 0
    try:
        for page in scan_items(app, entity, segments):
            for raw in page:
                writer.write(row_of(app, entity, raw))
            count += len(page)
            if progress:
                progress(len(page))
        writer.close()
        os.replace(temp, out)
    except BaseException:
        if fmt != "parquet":
            writer.close()
        temp.unlink(missing_ok=True)
        raise
    return ExportResult(out, count, time.monotonic() - started)
