"""docs/analytics.md's DuckDB queries run as printed against an export of seeded data."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dogcare.analytics.export import export
from dogcare.cli.seed import seed_demo
from dogcare.facade import Dogcare

DOC = Path(__file__).resolve().parents[3] / "docs" / "analytics.md"


def _duckdb_queries() -> list[str]:
    text = DOC.read_text().split("## Anywhere", 1)[1]
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("layout", ["single"], indirect=True)
def test_duckdb_examples_answer_from_an_export(app: Dogcare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    app.clock = lambda: datetime.now(UTC).replace(microsecond=0)  # type: ignore[method-assign]
    app.bookings.clock = app.clock
    made = seed_demo(owners=25, days=10, random_seed=5, quiet=True, app=app)
    assert made["bookings"] > 5 and made["cancelled"] >= 1
    exports = tmp_path / "exports"
    export(app, "bookings", "parquet", exports / "bookings.parquet")
    monkeypatch.chdir(tmp_path)
    queries = _duckdb_queries()
    assert len(queries) == 3
    occupancy, revenue, cancellations = (duckdb.sql(q).fetchall() for q in queries)
    assert sum(row[2] for row in occupancy) >= made["bookings"] - made["cancelled"]
    assert revenue == [] or all(row[2] > 0 for row in revenue)  # seeded bookings are unpaid (pending)
    assert sum(row[2] for row in cancellations) == made["cancelled"]
    assert sum(row[3] for row in cancellations) == made["bookings"]
    assert all(isinstance(row[0], str) and len(row[0]) == 7 for row in cancellations)
