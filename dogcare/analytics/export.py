"""Export one entity type to JSON Lines, CSV or Parquet with typed columns.

Reads with a parallel segmented Scan (an analyst's tool, never on a request path), keeps
only items of the entity's type stamp, and writes through a temporary file that is renamed
into place at the end: an interrupted export leaves no half-written file behind.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import queue
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
from dogcare.repositories.dogs import to_dog
from dogcare.repositories.owners import to_owner
from dogcare.repositories.payments import to_payment
from dogcare.storage.declarations import BOOKING, DOG, OWNER, PAYMENT
from dogcare.storage.layout import LogicalTable
from dogcare.storage.schema import Entity as Declared

Entity = Literal["owners", "dogs", "bookings", "payments"]
Format = Literal["jsonl", "csv", "parquet"]
# The entity each export reads, as declared: its type stamp selects the items, its export columns
# (name -> type: string, int, timestamp, date, money in major units beside a currency column, json)
# are the file's.
EXPORTED: dict[Entity, Declared] = {"owners": OWNER, "dogs": DOG, "bookings": BOOKING, "payments": PAYMENT}
STAMPS: dict[Entity, str] = {name: entity.name for name, entity in EXPORTED.items()}
COLUMNS: dict[Entity, list[tuple[str, str]]] = {name: list(entity.export) for name, entity in EXPORTED.items()}


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
        d = app.vaccination_rules.assess(to_dog(m.Dog.from_raw_data(raw)), app.clock().date())
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


class ExportInterrupted(RuntimeError):
    """A scan segment failed; the other segments were stopped.

    ``segment`` and ``last_key`` say where that segment stood (the ExclusiveStartKey of its
    next page, None if it had not read a page yet); ``resume`` is a token for
    ``export(..., resume=token)`` (``dogcare export --resume TOKEN``) that continues every
    segment from what was already written to the partial file, which is kept for it.
    """

    def __init__(self, segment: int, last_key: dict[str, Any] | None, resume: str, cause: BaseException) -> None:
        where = json.dumps(last_key, sort_keys=True) if last_key else "its start"
        super().__init__(f"scan segment {segment} failed at {where} ({cause}); resume with --resume {resume}")
        self.segment, self.last_key, self.resume = segment, last_key, resume


DONE = "done"
Position = dict[str, Any] | str | None  # a segment's next ExclusiveStartKey, DONE, or None (not started)


@dataclass
class ResumeState:
    entity: str
    fmt: str
    segments: int
    positions: dict[int, Position]
    items: int  # rows already in the partial file
    size: int  # and its length in bytes: anything after it is cut off on resume

    def encode(self) -> str:
        body = {
            "e": self.entity,
            "f": self.fmt,
            "s": self.segments,
            "p": {str(k): v for k, v in self.positions.items()},
            "n": self.items,
            "b": self.size,
        }
        return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> ResumeState:
        try:
            body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            positions = {int(k): v for k, v in body["p"].items()}
            return cls(body["e"], body["f"], int(body["s"]), positions, int(body["n"]), int(body["b"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError("not a resume token of dogcare export") from exc


def scan_items(
    app: Dogcare,
    entity: Entity,
    segments: int = 4,
    positions: dict[int, Position] | None = None,
    page_size: int | None = None,
) -> Iterator[tuple[int, list[dict[str, Any]], Position]]:
    """``(segment, items, next position)`` per page of one entity type, from ``segments``
    parallel scanners, each starting at ``positions[segment]`` (DONE: skipped).

    When one segment fails, the others stop before their next request and the failure is
    raised here as ``_SegmentFailed`` after the pages already read were yielded."""
    logical: LogicalTable = entity
    table = app.store.layout.table_name(logical)
    client = app.store.client
    starts = positions or {}
    events: queue.Queue[tuple[str, int, Any, Position]] = queue.Queue()
    stop = threading.Event()

    def scanner(segment: int) -> None:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "Segment": segment,
            "TotalSegments": segments,
            "FilterExpression": "entity_type = :e",
            "ExpressionAttributeValues": {":e": {"S": STAMPS[entity]}},
            **({"Limit": page_size} if page_size else {}),
        }
        start = starts.get(segment)
        if isinstance(start, dict):
            kwargs["ExclusiveStartKey"] = start
        try:
            while not stop.is_set():
                response = client.scan(**kwargs)
                next_key = response.get("LastEvaluatedKey")
                events.put(("page", segment, response.get("Items", []), next_key or DONE))
                if next_key is None:
                    break
                kwargs["ExclusiveStartKey"] = next_key
        except Exception as exc:  # reported to the consumer with where the segment stood
            stop.set()
            events.put(("error", segment, exc, kwargs.get("ExclusiveStartKey")))
        finally:
            events.put(("end", segment, None, None))

    active = [s for s in range(segments) if starts.get(s) != DONE]
    with ThreadPoolExecutor(max_workers=max(1, len(active))) as pool:
        for s in active:
            pool.submit(scanner, s)
        running, failure = len(active), None
        try:
            while running:
                kind, segment, payload, position = events.get()
                if kind == "end":
                    running -= 1
                elif kind == "error":
                    failure = failure or _SegmentFailed(segment, position, payload)
                elif failure is None:  # after a failure, pages still in flight are not written
                    yield segment, payload, position
        finally:
            stop.set()  # also when the consumer gave up (an exception while writing)
    if failure is not None:
        raise failure


class _SegmentFailed(Exception):
    def __init__(self, segment: int, last_key: Position, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.segment, self.last_key, self.cause = segment, last_key, cause


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
    def __init__(self, entity: Entity, fmt: Format, path: Path, append_at: int | None = None) -> None:
        self.entity, self.fmt, self.path = entity, fmt, path
        self.columns = COLUMNS[entity]
        self.rows: list[dict[str, Any]] = []
        self.handle: Any = None
        self.csv: Any = None
        if fmt == "parquet":
            return
        if append_at is not None:
            # Resuming: rows written after the last recorded position are cut off (they were
            # not counted in the token) and the rest is kept.
            with path.open("r+b") as raw:
                raw.truncate(append_at)
        mode = "a" if append_at is not None else "w"
        self.handle = path.open(mode, encoding="utf-8", newline="" if fmt == "csv" else None)
        if fmt == "csv":
            self.csv = csv.DictWriter(self.handle, fieldnames=[c for c, _ in self.columns])
            if append_at is None:
                self.csv.writeheader()

    def flush_and_close(self) -> int:
        """Close the partial file; its length in bytes."""
        self.handle.close()
        return self.path.stat().st_size

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
    resume: str | None = None,
    page_size: int | None = None,
) -> ExportResult:
    """Export ``entity`` to ``out``; ``resume`` continues an interrupted export (see
    ``ExportInterrupted``) with the same entity, format, segments and output file."""
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.partial")
    state = ResumeState(entity, fmt, segments, {}, 0, 0)
    if resume is not None:
        state = ResumeState.decode(resume)
        if (state.entity, state.fmt, state.segments) != (entity, fmt, segments):
            raise ValueError(f"the resume token is for {state.entity} as {state.fmt} in {state.segments} segments")
        if fmt == "parquet" or not temp.exists() or temp.stat().st_size < state.size:
            raise ValueError(f"nothing to resume: {temp.name} is missing or shorter than when it stopped")
    writer = _Writer(entity, fmt, temp, append_at=state.size if resume else None)
    count = state.items
    try:
        for segment, page, position in scan_items(app, entity, segments, state.positions, page_size):
            for raw in page:
                writer.write(row_of(app, entity, raw))
            count += len(page)
            state.positions[segment] = position
            if progress:
                progress(len(page))
        writer.close()
        os.replace(temp, out)
    except _SegmentFailed as failed:
        resumable = fmt != "parquet"  # Parquet is written at the end: nothing partial to keep
        size = writer.flush_and_close() if resumable else 0
        if not resumable:
            temp.unlink(missing_ok=True)
        token = ResumeState(entity, fmt, segments, state.positions, count, size).encode()
        last = failed.last_key if isinstance(failed.last_key, dict) else None
        raise ExportInterrupted(failed.segment, last, token, failed.cause) from failed.cause
    except BaseException:
        if fmt != "parquet":
            writer.close()
        temp.unlink(missing_ok=True)
        raise
    return ExportResult(out, count, time.monotonic() - started)
