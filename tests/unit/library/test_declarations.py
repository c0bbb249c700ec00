"""The declaration layer: its primitives, the models it derives, and that no key lives elsewhere."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dogcare.storage import declarations, keys
from dogcare.storage.declarations import BOOKING, BOOKING_DAY, DOG, OWNER, SCHEMA
from dogcare.storage.entities import build_models, key_item, key_of, new_item
from dogcare.storage.layout import FOUR_TABLE_INDEXES, LOGICAL_TABLES, TableLayout
from dogcare.storage.schema import HIGH, Entity, KeyTemplate, Schema, begins_with, between, string

from .model_shapes import shapes

ROOT = Path(__file__).resolve().parents[3]
RECORD = Path(__file__).parent / "data" / "model_shapes.json"
DECLARATIONS = ROOT / "dogcare" / "storage" / "declarations.py"


# --- key templates ------------------------------------------------------------------------------


def test_a_template_knows_its_fields_prefix_and_wildcard() -> None:
    t = KeyTemplate("CAPACITY#{service_type}#{day}")
    assert t.fields == ("service_type", "day")
    assert t.prefix == "CAPACITY#"
    assert t.literals == ("CAPACITY#", "#")
    assert t.format(service_type="daycare", day=date(2030, 3, 5)) == "CAPACITY#daycare#2030-03-05"
    assert t.wildcard() == "CAPACITY#*#*"
    assert t.wildcard(service_type="boarding") == "CAPACITY#boarding#*"
    assert KeyTemplate("IDEMPOTENCY#{function}#{shard:02d}").format(function="fn", shard=7) == "IDEMPOTENCY#fn#07"
    assert KeyTemplate("IDEMPOTENCY#{function}#{shard:02d}").wildcard(function="fn") == "IDEMPOTENCY#fn#*"
    literal = KeyTemplate("#PROFILE")
    assert literal.is_literal and literal.prefix == "#PROFILE" and literal.format() == "#PROFILE"
    with pytest.raises(KeyError, match="needs day"):
        t.format(service_type="daycare")


def test_sort_key_conditions_come_from_the_template() -> None:
    timeline = KeyTemplate("BOOKING#{start_time}#{booking_id}")
    assert timeline.begins_with().text == "BOOKING#"
    assert timeline.begins_with("start_time").text == "BOOKING#{start_time}#"
    low, high = timeline.between("start_time", "{start_from}", "{start_to}")
    assert (low.text, high.text) == ("BOOKING#{start_from}", "BOOKING#{start_to}#" + HIGH)
    assert begins_with(KeyTemplate("{service_type}#{start_time}"), "service_type").templates == ("{service_type}#",)
    assert between(KeyTemplate("{at}#{id}"), "at", "0000", "{until}").templates == ("0000", "{until}#" + HIGH)
    assert timeline.rename(start_time="start").text == "BOOKING#{start}#{booking_id}"


# --- entities -----------------------------------------------------------------------------------


def test_an_entity_derives_every_key_attribute_from_its_fields() -> None:
    dog = {"id": "dog-1", "owner_id": "owner-1"}
    assert DOG.key_attributes(**dog) == {
        "pk": "DOG#dog-1",
        "sk": "#PROFILE",
        "gsi1pk": "OWNER#owner-1",
        "gsi1sk": "DOG#dog-1",
    }
    owner = OWNER.key_attributes(id="owner-1", created_at="2030-03-04T08:00:00Z")
    assert owner["gsi3pk"] == keys.owner_directory_pk("owner-1")
    assert owner["gsi3sk"] == "2030-03-04T08:00:00Z#owner-1"


def test_a_sparse_index_takes_only_the_items_its_rule_accepts() -> None:
    booking = {"id": "booking-1", "owner_id": "o", "dog_id": "d", "start_time": "2030-03-05T09:00:00Z"}
    pending = BOOKING.key_attributes(**booking, status="pending", hold_expires_at="2030-03-04T08:30:00Z")
    assert pending["gsi3pk"] == keys.holds_pk(keys.hold_shard("booking-1"))
    assert pending["gsi3sk"] == "2030-03-04T08:30:00Z#booking-1"
    confirmed = BOOKING.key_attributes(**booking, status="confirmed", hold_expires_at=None)
    assert "gsi3pk" not in confirmed and confirmed["gsi2pk"] == "DOG#d"


def test_a_missing_field_names_what_the_key_needs() -> None:
    with pytest.raises(KeyError, match="dog_id needs id"):
        DOG.key(owner_id="owner-1")


def test_items_built_from_declarations_carry_their_keys() -> None:
    models = build_models(TableLayout("four", "t"), None, "us-east-1")
    day = new_item(
        models.BookingDay,
        booking_id="booking-1",
        day="2030-03-05",
        service_type="daycare",
        start_time="2030-03-05T09:00:00Z",
        status="pending",
    )
    assert (day.pk, day.sk, day.gsi3pk, day.gsi3sk) == (
        "BOOKING#booking-1",
        "DAY#2030-03-05",
        "DAY#2030-03-05",
        "daycare#2030-03-05T09:00:00Z#booking-1",
    )
    counter = key_item(models.CapacityCounter, service_type="daycare", day="2030-03-05")
    assert (counter.pk, counter.sk) == (keys.capacity_pk("daycare", date(2030, 3, 5)), keys.COUNTER_SK)
    assert key_of(models.Dog, id="dog-1") == ("t-dogs", "DOG#dog-1", "#PROFILE")
    assert models.of("dog") is models.Dog


# --- the derived models are the ones written by hand before -------------------------------------


def test_models_and_tables_match_the_record() -> None:
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(shapes(), sort_keys=True)) == recorded


def test_the_four_table_layout_has_exactly_the_indexes_its_entities_declare() -> None:
    for logical in LOGICAL_TABLES:
        declared = {name for e in SCHEMA.entities if e.table == logical for name in e.indexes}
        assert declared == {spec.name for spec in FOUR_TABLE_INDEXES[logical]}, logical


def test_every_entity_is_a_model_and_every_pattern_names_a_declared_entity() -> None:
    models = build_models(TableLayout("single", "t"), None, "us-east-1")
    assert [cls.declaration for cls in models] == list(SCHEMA.entities)
    names = {e.name for e in SCHEMA.entities}
    assert {p.entity for p in SCHEMA.patterns} <= names


def test_a_schema_is_extended_without_changing_it() -> None:
    toy = Entity(
        "toy",
        model="Toy",
        title="Toy",
        table="dogs",
        attributes={"id": string()},
        pk=KeyTemplate("TOY#{id}"),
        sk=declarations.PROFILE,
    )
    extended = SCHEMA.with_entities(toy)
    assert extended.entity("toy") is toy and toy not in SCHEMA.entities
    with pytest.raises(ValueError, match="declared twice: dog"):
        Schema((*SCHEMA.entities, DOG))


# --- one copy of every key ----------------------------------------------------------------------


def _fragments() -> set[str]:
    """The literal parts of every declared key template (``DOG#``, ``#PROFILE``, ``sub#``...)."""
    templates = [v for v in vars(declarations).values() if isinstance(v, KeyTemplate)] + SCHEMA.key_templates()
    found = set()
    for t in templates:
        for literal in t.literals:
            if "#" in literal and len(literal.strip("#")) >= 2:
                found.add(literal)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def test_no_key_fragment_is_written_outside_the_declarations() -> None:
    fragments = _fragments()
    assert {
        "DOG#",
        "#PROFILE",
        "CAPACITY#",
        "CONFIG#CAPACITY",
        "sub#",
        "IDEMPOTENCY#",
        "#PENDING_BOOKINGS",
    } <= fragments
    offences = []
    for path in sorted([*(ROOT / "dogcare").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]):
        if path == DECLARATIONS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                hits = [f for f in fragments if f in node.value]
                if hits:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r} ({', '.join(hits)})")
    assert offences == [], "key text outside dogcare/storage/declarations.py:\n" + "\n".join(offences)


def test_the_scan_would_catch_a_copy() -> None:
    tree = ast.parse('PK = "BOOKING#" + booking_id\n')
    values = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert any(f in v for v in values for f in _fragments())


def test_roster_day_patterns_use_the_declared_calendar_key() -> None:
    roster = SCHEMA.pattern("day_roster")
    assert roster.hash_template == BOOKING_DAY.indexes["gsi3"].pk.text
    assert roster.narrower["service"].templates == ("{service_type}#",)


def test_the_declarations_need_nothing_but_the_standard_library() -> None:
    """Every function imports them, and the build checks read the route table (which takes its
    IAM key patterns from them) with a Python that has no PynamoDB."""
    heavy = ("pynamodb", "botocore", "boto3", "pydantic")
    for module, absent in (("dogcare.storage.declarations", heavy), ("handlers.registry", ("pynamodb",))):
        code = f"import sys, {module}; print(sorted(m for m in {absent!r} if m in sys.modules))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        assert done.stdout.strip() == "[]", module
