"""Generate the tables and the key design of ``docs/data-model.md`` from the declarations.

    python -m dogcare.storage.data_model_doc            # rewrite the generated parts
    python -m dogcare.storage.data_model_doc --check    # exit 1 if they are out of date

The rest of the document (the design's reasons, the example items) is written by hand; the
parts between ``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->`` are not.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from dogcare.storage.declarations import IDEMPOTENCY_KEY, SCHEMA
from dogcare.storage.layout import ALL_INDEXES, LOGICAL_TABLES, TableLayout
from dogcare.storage.patterns_doc import DEFAULT_PREFIX, sync_document
from dogcare.storage.schema import Entity, Schema

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
COMMAND = "python -m dogcare.storage.data_model_doc"


def tables(prefix: str = DEFAULT_PREFIX) -> list[str]:
    single, four = TableLayout("single", prefix), TableLayout("four", prefix)
    out = [
        "| Logical table | Single-table layout | Four-table layout | GSIs (four-table layout) |",
        "|---|---|---|---|",
    ]
    for logical in LOGICAL_TABLES:
        indexes = ", ".join(f"`{i.name}`" for i in four.indexes_of(logical))
        out.append(f"| `{logical}` | `{single.table_name(logical)}` | `{four.table_name(logical)}` | {indexes} |")
    return out


def _index_cell(entity: Entity, index: str) -> str:
    key = entity.indexes.get(index)
    if key is None:
        return ""
    note = f" ({key.note})" if key.note else ""
    return f"`{key.pk}` / `{key.sk}`{note}"


def _row(cells: Sequence[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


def key_design(schema: Schema = SCHEMA) -> list[str]:
    indexes = [f"{i.name} (`{i.hash_attr}` / `{i.range_attr}`)" for i in ALL_INDEXES]
    out = [
        _row(["Entity (`entity_type`)", "`pk`", "`sk`", *indexes, "Logical table"]),
        "|---|---|---|" + "---|" * len(ALL_INDEXES) + "---|",
    ]
    for e in schema.entities:
        cells = [_index_cell(e, i.name) for i in ALL_INDEXES]
        out.append(_row([f"{e.title} (`{e.name}`)", f"`{e.pk}`", f"`{e.sk}`", *cells, e.table]))
    blank = [""] * len(ALL_INDEXES)
    out.append(_row(["Idempotency record", f"`{IDEMPOTENCY_KEY}`", "`{request hash}`", *blank, "the function's table"]))
    return out


def _marked(name: str, lines: list[str]) -> str:
    return "\n".join([f"<!-- generated: {name} (`{COMMAND}`) -->", *lines, f"<!-- end generated: {name} -->"])


def render(current: str) -> str:
    """``current`` with its generated parts brought up to date."""
    text = current
    for name, lines in (("tables", tables()), ("keys", key_design())):
        pattern = re.compile(rf"<!-- generated: {name} .*?<!-- end generated: {name} -->", re.S)
        if not pattern.search(text):
            raise ValueError(f"{DOC_PATH.name} has no generated part {name!r}")
        text = pattern.sub(lambda _: _marked(name, lines), text)  # noqa: B023 (used at once)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the tables and key design of docs/data-model.md.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the document differs from the declarations")
    parser.add_argument("--output", type=Path, default=DOC_PATH, help="where the document lives")
    args = parser.parse_args(argv)
    current = args.output.read_text(encoding="utf-8")
    return sync_document(args.output, render(current), check=args.check, command=COMMAND)


if __name__ == "__main__":
    raise SystemExit(main())
