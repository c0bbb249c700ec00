"""The generated access-pattern document: committed copy in sync, CLI, and the arithmetic behind it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dogcare.storage import patterns_doc
from dogcare.storage.patterns import BY_NAME, HIGH, REGISTRY
from dogcare.storage.patterns_doc import (
    DOC_PATH,
    ITEM_BYTES,
    WRITES,
    WRITES_BY_NAME,
    eventual_query_rcu,
    item_size,
    main,
    render,
    strong_read_rcu,
    transactional_wcu,
)

ROOT = Path(__file__).resolve().parents[3]


def test_committed_document_matches_the_registry() -> None:
    assert DOC_PATH == ROOT / "docs" / "access-patterns.md"
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/access-patterns.md is out of date: run python -m dogcare.storage.patterns_doc"
    )


def test_check_mode_detects_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "access-patterns.md"
    assert main(["--check", "--output", str(target)]) == 1  # missing
    assert main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render()
    assert main(["--check", "--output", str(target)]) == 0
    target.write_text(render().replace("1 RCU", "2 RCU"), encoding="utf-8")
    assert main(["--check", "--output", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_module_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dogcare.storage.patterns_doc", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_every_pattern_is_documented_with_both_physical_tables_and_examples() -> None:
    text = render()
    for p in REGISTRY:
        section = text.split(f"### `{p.name}`", 1)[1].split("\n### ", 1)[0]
        assert p.summary in section
        assert "dogcare-dev-data" in section
        assert f"dogcare-dev-{p.table}" in section
        calls = {"GetItem": "client.get_item(", "Query": "client.query(", "BatchGetItem": "client.batch_get_item("}
        call = calls[p.operation]
        assert section.count(call) == 1 + len(p.narrower)
        assert section.count("aws dynamodb ") == 1 + len(p.narrower)
        assert "RCU" in section
        for route in p.used_by:
            assert f"`{route}`" in section
        assert "{" + "owner_id}" not in section.split("```python", 1)[1]  # examples are concrete
    assert HIGH not in text  # the BETWEEN sentinel is shown escaped


def test_examples_use_the_pattern_keys() -> None:
    text = render()
    assert '"OWNER#owner-4f1c2a9e-7b3d-5e8f-a1c2-3d4e5f6a7b8c"' in text
    assert 'KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :sk)"' in text
    assert '":sk_to": {"S": "BOOKING#2026-12-31T23:59:59Z#\\uffff"}' in text
    assert "ConsistentRead=True" in text
    assert "--index-name gsi3" in text


def test_used_by_routes_exist() -> None:
    registry = pytest.importorskip("handlers.registry")
    known = {f"{r.method} {r.path}" for r in registry.routes()} | set(registry.SCHEDULED_USES)
    for p in REGISTRY:
        for route in p.used_by:
            assert route == "analysts" or route in known, (p.name, route)
    for w in WRITES:
        for route in w.used_by:
            assert route in known, (w.name, route)


def test_every_entity_has_a_size() -> None:
    assert {p.entity for p in REGISTRY} <= set(ITEM_BYTES)
    assert {a.entity for w in WRITES for a in w.actions} <= set(ITEM_BYTES)
    # One write unit per 1 KB: every item but the booking fits one; the booking, with the plan it
    # recorded and its hold keys, takes two (the capacity model counts that, see below).
    assert all(size < 1024 for entity, size in ITEM_BYTES.items() if entity != "booking")
    assert 1024 < ITEM_BYTES["booking"] <= 2048


@pytest.mark.parametrize(("size", "rcu"), [(0, 1.0), (1, 1.0), (4096, 1.0), (4097, 2.0), (12_000, 3.0)])
def test_strong_read(size: int, rcu: float) -> None:
    assert strong_read_rcu(size) == rcu


@pytest.mark.parametrize(("size", "rcu"), [(0, 0.5), (4096, 0.5), (4097, 1.0), (20 * 900, 2.5), (100 * 900, 11.0)])
def test_eventual_query(size: int, rcu: float) -> None:
    assert eventual_query_rcu(size) == rcu


@pytest.mark.parametrize(("size", "wcu"), [(1, 2), (1024, 2), (1025, 4), (3000, 6)])
def test_transactional_write(size: int, wcu: int) -> None:
    assert transactional_wcu(size) == wcu


def test_item_size_counts_names_and_values() -> None:
    item = {
        "pk": {"S": "DOG#d"},  # 2 + 5
        "age": {"N": "12"},  # 3 + 2
        "ok": {"BOOL": True},  # 2 + 1
        "tags": {"L": [{"S": "ab"}]},  # 4 + 3 + (2 + 1)
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + (1 + 1 + 1)
        "gone": {"NULL": True},  # 4 + 1
    }
    assert item_size(item) == 7 + 5 + 3 + 10 + 7 + 5


def test_the_longest_booking_fits_one_transaction() -> None:
    create = WRITES_BY_NAME["create_booking"]
    assert create.count({"roster day": 31, "capacity day": 30}) == 64
    assert create.wcu({"roster day": 1, "capacity day": 1}) == 12  # the booking item is 2 of the 6 units
    counts = [w.count(units, opt) for w in WRITES for label, units, opt in w.examples if "refused" not in label]
    assert max(counts) <= 100
    assert "the longest booking (30 nights) needs 64" in render()


def test_patterns_registry_is_consistent() -> None:
    assert len(BY_NAME) == len(REGISTRY)
    for p in REGISTRY:
        assert p.operation in ("GetItem", "Query", "BatchGetItem")
        if p.operation != "Query":  # BatchGetItem: many GetItem keys of one template
            assert p.index is None
            assert p.range is not None
            assert p.range.op == "eq"
        p.hash_value(**p.example)  # the example fills every template
        for variant in (None, *p.narrower):
            p.range_values(variant, **p.example)
    assert patterns_doc.DEFAULT_PREFIX == "dogcare-dev"
