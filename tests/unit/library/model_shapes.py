"""The shape of the models and tables the library builds, as plain data (to compare with a record).

Run this module (``python -m tests.unit.library.model_shapes``) and save what it prints as
``model_shapes.json`` in the ``data`` folder beside it to rewrite the record. The record was
written by the models from before the entities were declared; the tests hold the derived models
to it, so that a declaration cannot change a stored item's shape unseen.
"""

from __future__ import annotations

import json
from typing import Any

from dogcare.settings import Settings
from dogcare.storage.entities import build_models
from dogcare.storage.layout import TableLayout
from dogcare.storage.store import Store
from dogcare.storage.tables import table_definitions

PREFIX = "dogcare-dev"


def _attribute(a: Any) -> list[Any]:
    default = a.default() if callable(a.default) else a.default
    row: list[Any] = [type(a).__name__, a.attr_name, bool(a.null), a.is_hash_key, a.is_range_key, repr(default)]
    element = getattr(a, "element_type", None)
    if element is not None:
        row.append(element.__name__)
        if hasattr(element, "get_attributes"):
            row.append({n: _attribute(v) for n, v in sorted(element.get_attributes().items())})
    if hasattr(a, "is_raw") and not a.is_raw():
        row.append({n: _attribute(v) for n, v in sorted(a.get_attributes().items())})
    return row


def shapes() -> dict[str, Any]:
    out: dict[str, Any] = {"models": {}, "tables": {}, "table_definitions": {}}
    for layout in ("single", "four"):
        models = build_models(TableLayout(layout, PREFIX), None, "us-east-1")
        classes = {n: c for n, c in vars(models).items() if isinstance(c, type)}
        out["tables"][layout] = {name: cls.Meta.table_name for name, cls in sorted(classes.items())}
        out["models"] = {
            name: {
                "stamp": cls.entity_type.get_discriminator(cls),
                "attributes": {n: _attribute(a) for n, a in sorted(cls.get_attributes().items())},
            }
            for name, cls in sorted(classes.items())
        }
        store = Store(Settings(table_layout=layout, table_prefix=PREFIX))  # type: ignore[arg-type]
        out["table_definitions"][layout] = table_definitions(store)
    return out


if __name__ == "__main__":
    print(json.dumps(shapes(), indent=1, sort_keys=True))
