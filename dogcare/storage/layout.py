"""Which physical table each logical table maps to, and which indexes each table has.

``single``: every entity in one table with three overloaded GSIs.
``four``: the owners, dogs, bookings and payments tables, each with only the indexes its
entities use. Keys are the same in both layouts, so every access pattern works unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogicalTable = Literal["owners", "dogs", "bookings", "payments"]
LOGICAL_TABLES: tuple[LogicalTable, ...] = ("owners", "dogs", "bookings", "payments")


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_attr: str
    range_attr: str
    purpose: str


OWNER_OVERLAY = IndexSpec("gsi1", "gsi1pk", "gsi1sk", "owner overlay: everything of one owner, by entity prefix")
DOG_OVERLAY = IndexSpec("gsi2", "gsi2pk", "gsi2sk", "dog overlay: a dog's bookings by start time")
CALENDAR = IndexSpec("gsi3", "gsi3pk", "gsi3sk", "sparse calendar (active bookings per day) and owner directory")
ALL_INDEXES = (OWNER_OVERLAY, DOG_OVERLAY, CALENDAR)

# The indexes each logical table needs in the four-table layout.
FOUR_TABLE_INDEXES: dict[LogicalTable, tuple[IndexSpec, ...]] = {
    "owners": (CALENDAR,),
    "dogs": (OWNER_OVERLAY,),
    "bookings": (OWNER_OVERLAY, DOG_OVERLAY, CALENDAR),
    "payments": (OWNER_OVERLAY,),
}
TTL_ATTRIBUTE = "expiration"


@dataclass(frozen=True)
class TableLayout:
    layout: Literal["single", "four"]
    prefix: str

    def table_name(self, logical: LogicalTable) -> str:
        if self.layout == "single":
            return f"{self.prefix}-data"
        return f"{self.prefix}-{logical}"

    def tables(self) -> dict[str, tuple[IndexSpec, ...]]:
        """Physical table name -> the GSIs it carries."""
        if self.layout == "single":
            return {self.table_name("owners"): ALL_INDEXES}
        return {self.table_name(name): FOUR_TABLE_INDEXES[name] for name in LOGICAL_TABLES}

    def indexes_of(self, logical: LogicalTable) -> tuple[IndexSpec, ...]:
        return ALL_INDEXES if self.layout == "single" else FOUR_TABLE_INDEXES[logical]
