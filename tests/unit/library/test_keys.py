"""Key templates: the same keys in both layouts, computed only from an entity's fields."""

from __future__ import annotations

from datetime import date

from dogcare.storage import keys
from dogcare.storage.layout import ALL_INDEXES, FOUR_TABLE_INDEXES, TableLayout

DAY = date(2030, 3, 5)
START = "2030-03-05T09:00:00Z"


def test_owner_keys() -> None:
    assert keys.owner_pk("owner-1") == "OWNER#owner-1"
    assert keys.PROFILE == "#PROFILE"
    assert keys.email_pk("ana@example.com") == "EMAIL#ana@example.com"
    assert keys.EMAIL_SK == "#UNIQUE"
    assert keys.LEGACY_OWNER_DIRECTORY_PK == "OWNERS"
    assert keys.owner_directory_shard_pk(3) == "OWNERS#3"
    assert keys.owner_directory_sk("2030-03-04T08:00:00Z", "owner-1") == "2030-03-04T08:00:00Z#owner-1"


def test_dog_keys() -> None:
    assert keys.dog_pk("dog-1") == "DOG#dog-1"
    assert keys.owner_dog_sk("dog-1") == "DOG#dog-1"
    assert keys.SCHEDULE_SK == "#SCHEDULE"


def test_booking_keys() -> None:
    assert keys.booking_pk("booking-1") == "BOOKING#booking-1"
    assert keys.timeline_sk(START, "booking-1") == "BOOKING#2030-03-05T09:00:00Z#booking-1"
    assert keys.booking_day_sk(DAY) == "DAY#2030-03-05"
    assert keys.calendar_pk(DAY) == "DAY#2030-03-05"
    assert keys.calendar_sk("daycare", START, "booking-1") == "daycare#2030-03-05T09:00:00Z#booking-1"


def test_capacity_and_counter_keys() -> None:
    assert keys.capacity_pk("boarding", DAY) == "CAPACITY#boarding#2030-03-05"
    assert keys.COUNTER_SK == "#COUNTER"
    assert keys.CAPACITY_CONFIG_PK == "CONFIG#CAPACITY"
    assert keys.capacity_config_sk("parking") == "SERVICE#parking"
    assert keys.PENDING_SK == "#PENDING_BOOKINGS"


def test_payment_and_marker_keys() -> None:
    assert keys.payment_pk("payment-1") == "PAYMENT#payment-1"
    assert keys.owner_payment_sk("2030-03-04T08:00:00Z", "payment-1") == "PAYMENT#2030-03-04T08:00:00Z#payment-1"
    assert keys.provider_event_pk("evt_1") == "PROVIDER_EVENT#evt_1"
    assert keys.PROCESSED_SK == "#PROCESSED"
    assert keys.rate_pk("sub") == "RATE#sub"
    assert keys.rate_sk(1700000000) == "WINDOW#1700000000"
    assert keys.idempotency_pk("fn", 7) == "IDEMPOTENCY#fn#07"


def test_directory_and_idempotency_shards_are_stable_and_spread() -> None:
    owners = [f"owner-{i:04d}" for i in range(2000)]
    shards = [keys.owner_directory_shard(o) for o in owners]
    assert shards == [keys.owner_directory_shard(o) for o in owners]  # a pure function of the id
    counts = [shards.count(n) for n in range(keys.OWNER_DIRECTORY_SHARDS)]
    assert min(counts) > 2000 / keys.OWNER_DIRECTORY_SHARDS * 0.8, counts
    assert keys.owner_directory_pk(owners[0]) == f"OWNERS#{shards[0]}"
    spread = {keys.idempotency_shard("owner-1", f"key-{i:06d}") for i in range(500)}
    assert spread == set(range(keys.IDEMPOTENCY_SHARDS))  # one caller's keys use every shard
    assert keys.idempotency_shard("owner-1", "k-1") == keys.idempotency_shard("owner-1", "k-1")


def test_timeline_keys_sort_by_start_time() -> None:
    times = ["2030-03-05T09:00:00Z", "2030-03-05T10:00:00Z", "2030-12-01T06:00:00Z", "2031-01-01T06:00:00Z"]
    ids = ["booking-z", "booking-y", "booking-b", "booking-a"]  # ids sort the other way round
    sks = [keys.timeline_sk(t, i) for t, i in zip(times, ids, strict=True)]
    assert sorted([sks[2], sks[0], sks[3], sks[1]]) == sks


def test_table_names_per_layout() -> None:
    single, four = TableLayout("single", "dogcare-dev"), TableLayout("four", "dogcare-dev")
    assert {single.table_name(t) for t in ("owners", "dogs", "bookings", "payments")} == {"dogcare-dev-data"}
    assert four.table_name("bookings") == "dogcare-dev-bookings"
    assert single.tables() == {"dogcare-dev-data": ALL_INDEXES}
    assert four.tables() == {f"dogcare-dev-{name}": FOUR_TABLE_INDEXES[name] for name in FOUR_TABLE_INDEXES}
    assert [i.name for i in four.indexes_of("dogs")] == ["gsi1"]
