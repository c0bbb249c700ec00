"""Exports round-trip: every item exported once, with equal, typed values."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dogcare.commands import RegisterOwner
from dogcare.domain.actor import Actor
from dogcare.domain.model import Booking
from dogcare.domain.money import Money
from dogcare.facade import Dogcare

N = 10_000


def _bookings(n: int) -> list[Booking]:
    base = datetime(2030, 1, 1, 8, tzinfo=UTC)
    out = []
    for i in range(n):
        start = base + timedelta(days=i % 300, hours=i % 5)
        out.append(
            Booking(
                id=f"booking-00000000-0000-4000-8000-{i:012d}",
                owner_id=f"owner-{i % 97:04d}",
                dog_id=f"dog-{i % 389:04d}",
                service_type=("daycare", "boarding", "parking")[i % 3],
                start_time=start,
                end_time=start + timedelta(hours=6),
                status=("pending", "confirmed", "cancelled", "completed")[i % 4],
                price=Money(1000 + i, "USD"),
                payment_id=None if i % 2 else f"payment-{i}",
                special_instructions=None if i % 7 else f"note {i} “quoted”, with, commas",
                created_at=start - timedelta(days=3),
                updated_at=start - timedelta(days=2),
                version=1 + i % 3,
            )
        )
    return out


def _load(app: Dogcare, n: int) -> list[Booking]:
    bookings = _bookings(n)
    repo = app.booking_repository
    with app.store.models.Booking.batch_write() as batch:
        for b in bookings:
            batch.save(repo._item(b))
    # Items of other entity types in the same table must not leak into the export.
    app.owners.register(Actor("someone"), RegisterOwner(name="Ann"), "ann@example.com")
    return bookings


def _expected(b: Booking) -> dict[str, object]:
    return {
        "id": b.id,
        "owner_id": b.owner_id,
        "dog_id": b.dog_id,
        "service_type": b.service_type,
        "start_time": b.start_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": b.status,
        "price": f"{Decimal(b.price.amount) / 100:.2f}",
        "currency": "USD",
        "payment_id": b.payment_id,
        "special_instructions": b.special_instructions,
        "version": b.version,
    }


def _read(out: Path, fmt: str) -> list[dict[str, object]]:
    if fmt == "jsonl":
        return [json.loads(line) for line in out.read_text().splitlines()]
    if fmt == "csv":
        with out.open(newline="") as handle:
            rows: list[dict[str, object]] = [
                {k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(handle)
            ]
        for r in rows:
            r["version"] = int(str(r["version"]))
        return rows
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert str(table.schema.field("price").type) == "decimal128(14, 2)"
    assert "tz=UTC" in str(table.schema.field("start_time").type)
    rows = table.to_pylist()
    for r in rows:
        r["price"] = f"{r['price']:.2f}"
        r["start_time"] = r["start_time"].strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]
    return rows


@pytest.mark.parametrize("layout", ["single"], indirect=True)
def test_ten_thousand_bookings_round_trip(app: Dogcare, tmp_path: Path) -> None:
    # One format at this size: the local DynamoDB emulator scans slowly (about 2 s per
    # 1,000 items here); every format is checked on a smaller table below.
    _round_trip(app, tmp_path, N, formats=("jsonl",))


@pytest.mark.parametrize("layout", ["four"], indirect=True)
def test_every_format_round_trips_in_the_four_table_layout(app: Dogcare, tmp_path: Path) -> None:
    _round_trip(app, tmp_path, 500, formats=("jsonl", "csv", "parquet"))


def _round_trip(app: Dogcare, tmp_path: Path, n: int, formats: tuple[str, ...]) -> None:
    from dogcare.analytics.export import export

    loaded = _load(app, n)
    for fmt in formats:
        progressed: list[int] = []
        out = tmp_path / f"bookings.{fmt}"
        result = export(app, "bookings", fmt, out, segments=4, progress=progressed.append)  # type: ignore[arg-type]
        assert result.items == n == sum(progressed), fmt
        rows = _read(out, fmt)
        by_id = {r["id"]: r for r in rows}
        assert len(by_id) == len(rows) == n, f"every booking exactly once ({fmt})"
        for b in loaded:
            row = by_id[b.id]
            assert {k: row[k] for k in _expected(b)} == _expected(b), fmt


@pytest.mark.parametrize("layout", ["single"], indirect=True)
def test_a_failed_export_leaves_no_file(app: Dogcare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dogcare.analytics import export as module

    app.owners.register(Actor("someone"), RegisterOwner(name="Ann"), "ann@example.com")
    out = tmp_path / "owners.jsonl"
    out.write_text("previous export\n")

    def broken(*_: object, **__: object) -> dict[str, object]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "row_of", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        module.export(app, "owners", "jsonl", out)
    assert out.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["owners.jsonl"]


@pytest.mark.parametrize("layout", ["single"], indirect=True)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_failed_segment_stops_the_others_and_the_export_resumes_where_it_stopped(
    app: Dogcare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    from botocore.exceptions import ClientError

    from dogcare.analytics import export as module

    ids = [
        app.owners.register(Actor(f"sub-{i}"), RegisterOwner(name=f"N{i}"), f"e{i}@example.com").id for i in range(60)
    ]
    client = app.store.client
    scan = client.scan
    calls: list[tuple[int, bool]] = []  # (segment, after the failure)
    failed: list[bool] = []

    def flaky(**kwargs: object) -> dict[str, object]:
        segment = int(kwargs["Segment"])  # type: ignore[call-overload]
        calls.append((segment, bool(failed)))
        if segment == 2 and "ExclusiveStartKey" in kwargs and not failed:
            failed.append(True)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "Scan")
        result: dict[str, object] = scan(**kwargs)
        return result

    monkeypatch.setattr(client, "scan", flaky)
    out = tmp_path / f"owners.{fmt}"
    with pytest.raises(module.ExportInterrupted) as raised:
        module.export(app, "owners", fmt, out, segments=4, page_size=3)  # type: ignore[arg-type]
    interrupted = raised.value
    assert interrupted.segment == 2
    assert interrupted.last_key is not None and set(interrupted.last_key) == {"pk", "sk"}  # where it stood
    assert f"--resume {interrupted.resume}" in str(interrupted) and "segment 2" in str(interrupted)
    # The others stopped: at most the request each had in flight went out after the failure.
    assert sum(1 for _, after in calls if after) <= 3, calls
    assert not out.exists() and (tmp_path / f".owners.{fmt}.partial").exists()

    result = module.export(app, "owners", fmt, out, segments=4, page_size=3, resume=interrupted.resume)  # type: ignore[arg-type]
    assert result.items == len(ids)
    if fmt == "jsonl":
        rows = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    else:
        rows = [row["id"] for row in csv.DictReader(out.open(newline=""))]
    assert sorted(rows) == sorted(ids)  # every owner exactly once
    assert [p.name for p in tmp_path.iterdir()] == [out.name]

    with pytest.raises(ValueError, match="resume token is for"):
        module.export(app, "dogs", fmt, out, resume=interrupted.resume)  # type: ignore[arg-type]
