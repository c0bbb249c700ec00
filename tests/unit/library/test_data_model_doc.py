"""docs/data-model.md: its example items are well-formed and cover every entity the library stores."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dogcare.storage import data_model_doc
from dogcare.storage.declarations import SCHEMA
from dogcare.storage.entities import build_models
from dogcare.storage.layout import TableLayout
from dogcare.storage.patterns_doc import ITEM_BYTES

DOC = Path(__file__).resolve().parents[3] / "docs" / "data-model.md"


def examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [json.loads(block) for block in blocks]


def discriminators() -> set[str]:
    models = build_models(TableLayout("single", "dogcare-dev"), None, "us-east-1")
    attr = models.Owner.entity_type
    return {attr.get_discriminator(cls) for cls in vars(models).values() if isinstance(cls, type)}


def test_every_entity_has_an_example_item() -> None:
    items = examples()
    documented = {item["entity_type"]["S"] for item in items if "entity_type" in item}
    assert documented | {"rate_window"} == discriminators()
    assert set(ITEM_BYTES) <= documented


def test_example_items_are_dynamodb_json_with_keys() -> None:
    for item in examples():
        assert set(item["pk"]) == {"S"}
        assert set(item["sk"]) == {"S"}
        for value in item.values():
            assert len(value) == 1
            assert next(iter(value)) in {"S", "N", "M", "L", "BOOL", "NULL"}


def test_examples_carry_the_keys_their_declarations_compute() -> None:
    """An example whose key fields are all stored attributes shows exactly the keys its declaration
    computes from them (pk, sk and every index key); the others (a counter's day, the guard's email
    key, ...) at least start with the declared literal prefixes."""
    derived = 0
    for item in examples():
        stamp = item.get("entity_type", {}).get("S")
        if stamp is None:
            assert item["pk"]["S"].startswith(SCHEMA.entity("rate_window").pk.prefix)
            continue
        entity = SCHEMA.entity(stamp)
        shown = {name: value["S"] for name, value in item.items() if name in ("pk", "sk") or name.startswith("gsi")}
        values = {name: value["S"] for name, value in item.items() if "S" in value}
        try:
            computed = entity.key_attributes(**values)
        except KeyError:  # a key field only the key holds
            assert shown["pk"].startswith(entity.pk.prefix), stamp
            assert shown["sk"].startswith(entity.sk.prefix), stamp
            continue
        assert computed == shown, stamp
        derived += 1
    assert derived >= 7


def test_the_limits_quoted_match_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "**64 actions** of the 100 allowed" in text
    assert "(124 actions for 30 nights)" in text


def test_generated_parts_match_the_declarations() -> None:
    assert DOC.read_text(encoding="utf-8") == data_model_doc.render(DOC.read_text(encoding="utf-8")), (
        "docs/data-model.md is out of date: run python -m dogcare.storage.data_model_doc"
    )


def test_check_mode_detects_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "data-model.md"
    target.write_text(DOC.read_text(encoding="utf-8"), encoding="utf-8")
    assert data_model_doc.main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("`#SCHEDULE` |", "`#SCHED` |"), encoding="utf-8")
    assert data_model_doc.main(["--check", "--output", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert data_model_doc.main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")


def test_every_declared_entity_has_a_row() -> None:
    rows = data_model_doc.key_design()
    for entity in SCHEMA.entities:
        assert any(
            row.startswith(f"| {entity.title} (`{entity.name}`) | `{entity.pk}` | `{entity.sk}` |") for row in rows
        )
