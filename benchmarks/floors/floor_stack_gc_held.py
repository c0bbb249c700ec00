"""The stack floor with the garbage collector held back until its first request has been served,
as our functions hold it (handlers/gc_pause.py, copied here: the floors import nothing of ours)."""

from __future__ import annotations

import gc

_saved = gc.get_threshold()
gc.set_threshold(1_000_000, *_saved[1:])

from typing import Any  # noqa: E402

from floor_stack import lambda_handler as _stack  # noqa: E402


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return _stack(event, context)
    finally:
        gc.freeze()
        gc.set_threshold(*_saved)
