"""The stack floor: what the mandated stack costs by itself, measured in the cold-start run.

Each row is a function of its own (``benchmarks/floors``), built into a code folder and run
exactly as the real functions are (fresh process, Lambda's environment, precompiled ``.pyc``),
serving the dogs function's first request with the same single GetItem. ``bare`` is the floor
as a handler (a botocore client and the request); each piece is then added to it alone; the
stack floor has them all, as the brief's stack requires them; the last row is a prototype of
validation by hand (not the product's).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import num, ratio, table, times

FLOORS_DIR = Path(__file__).resolve().parent / "floors"
BARE = "bare: botocore client + GetItem"
STACK = "stack floor: resolver with validation + Pydantic + Logger/Metrics + botocore"
HELD = "stack floor, the collector held back as our functions do (handlers/gc_pause.py)"
# (row, module, tracing on): the pieces alone, then the stack floor, then the prototype.
ROWS = (
    (BARE, "floor_bare", False),
    ("+ Pydantic model validation (path parameter, response model)", "floor_pydantic", False),
    ("+ Powertools REST resolver, no validation", "floor_resolver", False),
    (
        "+ Powertools REST resolver, enable_validation (Pydantic path parameter, response model)",
        "floor_resolver_validation",
        False,
    ),
    ("+ Powertools Logger + Metrics (as handlers/common/observability.py)", "floor_logging", False),
    ("PynamoDB model + get instead of the botocore request", "floor_pynamodb", False),
    ("+ X-Ray: Powertools Tracer, botocore patched", "floor_tracer", True),
    (STACK, "floor_stack", False),
    ("stack floor + X-Ray Tracer (prod)", "floor_stack_traced", True),
    (HELD, "floor_stack_gc_held", False),
    (
        "prototype: stack floor with validation by hand (resolver without enable_validation, TypeAdapter)",
        "floor_stack_handrolled",
        False,
    ),
)


def build(dest: Path) -> Path:
    """The floor functions' code folder, byte-compiled as deploy/Makefile compiles the functions'."""
    dest.mkdir(parents=True)
    for source in FLOORS_DIR.glob("floor_*.py"):
        shutil.copy(source, dest / source.name)
    compile_all = [sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*compile_all, str(dest)], check=True, capture_output=True, timeout=300)
    return dest


def specs(calls: list[tuple[str, dict[str, Any]]], env: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(row, module, environment) of each floor function, from the dogs function's first request."""
    get_item = next(params for operation, params in calls if operation == "GetItem")
    result = []
    for row, module, traced in ROWS:
        row_env = {**env, "FLOOR_GET_ITEM": json.dumps(get_item), "POWERTOOLS_SERVICE_NAME": "dogcare-floor"}
        row_env.pop("POWERTOOLS_TRACE_DISABLED", None)
        if not traced:
            row_env["POWERTOOLS_TRACE_DISABLED"] = "true"
        result.append((row, module, row_env))
    return result


def _above(ms: float) -> str:
    return f"{num(abs(ms), 0)} ms {'above' if ms >= 0 else 'below'}"


def section(data: dict[str, dict[str, float]], dogs: dict[str, float] | None) -> tuple[str, str]:
    """The stack floor's summary sentence and table; ``data`` is each row's medians."""
    bare, stack, held = data[BARE], data[STACK], data[HELD]
    rows = []
    for row, _module, _traced in ROWS:
        d = data[row]
        rows.append(
            [
                row,
                d["runs"],
                num(d["handler_ms"], 0),
                num(d["import_ms"], 0),
                f"{d['handler_ms'] - bare['handler_ms']:+,.0f}",
                times(ratio(d["handler_ms"], bare["floor_ms"])),
                num(d["handler_cpu_ms"], 0),
                f"{d['handler_cpu_ms'] - bare['handler_cpu_ms']:+,.0f}",
                times(ratio(d["handler_cpu_ms"], bare["floor_cpu_ms"])),
            ]
        )
    body = table(
        [
            "stack floor: GET /dogs/{id}, one GetItem",
            "runs",
            "ms",
            "of which import",
            "ms vs bare",
            "x boto3 floor",
            "CPU ms",
            "CPU ms vs bare",
            "CPU x floor",
        ],
        rows,
    )
    summary = (
        f"The stack floor (the smallest function the mandated stack allows) is "
        f"{times(ratio(stack['handler_ms'], bare['floor_ms']))} the boto3 floor of its one GetItem "
        f"({num(stack['handler_ms'], 0)} ms against {num(bare['floor_ms'], 0)} ms; CPU time "
        f"{times(ratio(stack['handler_cpu_ms'], bare['floor_cpu_ms']))})"
    )
    if dogs:
        summary += (
            f"; the dogs function (without the X-Ray SDK, one more request: the rate limit's UpdateItem) "
            f"{_above(dogs['handler_ms'] - stack['handler_ms'])} it "
            f"({_above(dogs['handler_cpu_ms'] - stack['handler_cpu_ms'])} in CPU time; it holds the "
            f"collector back, the stack floor does not: {num(held['handler_cpu_ms'], 0)} CPU ms with it held)"
        )
    return summary + ".", body
