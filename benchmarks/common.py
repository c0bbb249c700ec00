"""What the benchmarks share: the DynamoDB server, the functions' environment, a recorder of
DynamoDB requests, DynamoDB item sizes, statistics and Markdown tables."""

from __future__ import annotations

import contextlib
import copy
import importlib.metadata
import json
import math
import os
import platform
import statistics
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "performance.md"
REGION = "us-east-1"


@dataclass
class Section:
    """One benchmark's result: a summary line, Markdown tables and notes, and figures for later sections."""

    number: int
    title: str
    summary: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


# --- statistics and formatting -----------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("nan")


def num(value: float, digits: int = 1) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.{digits}f}"


def times(value: float) -> str:
    return "n/a" if value != value else f"{value:.2f}x"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; numbers are right-aligned."""
    cells = [[str(c) for c in row] for row in rows]

    def numeric(i: int) -> bool:
        column = [row[i] for row in rows if i < len(row)]
        return bool(column) and all(isinstance(c, int | float) or _looks_numeric(str(c)) for c in column)

    align = ["---:" if numeric(i) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    stripped = text.replace(",", "").removesuffix("x").replace("$", "").replace("%", "").strip()
    try:
        float(stripped)
    except ValueError:
        return False
    return True


# --- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for package in ("boto3", "botocore", "pynamodb", "aws-lambda-powertools", "pydantic", "moto"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": load,
        "versions": ", ".join(versions),
    }


# --- DynamoDB --------------------------------------------------------------------------------


_SERVER = r"""
import logging, sys
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from dogcare.local.dynamodb import EmbeddedDynamoDB
server = EmbeddedDynamoDB("127.0.0.1", 0)
server.start()
print(server.endpoint, flush=True)
sys.stdin.read()
server.stop()
"""


class Dynamo:
    """Local mode's embedded DynamoDB (moto's server, one request at a time) in a process of its
    own: its work stays off the interpreter being measured, as DynamoDB is another machine."""

    def __init__(self) -> None:
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.endpoint = self.process.stdout.readline().strip()
        if not self.endpoint.startswith("http"):
            self.process.kill()
            raise RuntimeError("the local DynamoDB server did not start")

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def function_env(endpoint: str, prefix: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of the API functions, as the template sets it, pointed at ``endpoint``."""
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "DOGCARE_DYNAMODB_ENDPOINT": endpoint,
        "DOGCARE_TABLE_LAYOUT": "single",
        "DOGCARE_TABLE_PREFIX": prefix,
        "DOGCARE_HOME": str(home),
        "DOGCARE_CURSOR_SECRET": "benchmark-cursor-secret-0123456789abcdef",
        "DOGCARE_RATE_LIMIT_PER_MINUTE": "100000000",
        "DOGCARE_DEFAULT_DAILY_CAPACITY": "100000",
        "DOGCARE_MAX_PENDING_BOOKINGS": "100000",
        "DOGCARE_STRIPE_WEBHOOK_SECRET": "whsec_benchmark_0123456789abcdef",
        "POWERTOOLS_SERVICE_NAME": "dogcare-bench",
        "POWERTOOLS_METRICS_NAMESPACE": "DogcareBench",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        **extra,
    }


_LOCAL_ONLY = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
_CLEARED = (
    "DOGCARE_STRIPE_API_BASE",
    "DOGCARE_STRIPE_SECRET_NAME",
    "DOGCARE_STRIPE_SECRET_KEY",
    "DOGCARE_AUTH_JWKS_URL",
    "DOGCARE_AUTH_ISSUER",
    "DOGCARE_AUTH_AUDIENCE",
    "DOGCARE_PRICE_TABLE",
    "LAMBDA_TASK_ROOT",
    "AWS_LAMBDA_FUNCTION_NAME",
)


@contextmanager
def functions_in_process(dynamo: Dynamo, prefix: str, home: Path | None = None) -> Iterator[Api]:
    """The API functions in this process (``LocalGateway.invoke``: authorizer + handler, no HTTP)
    on fresh tables; tracing and metrics off as in local mode. Restores the environment after.
    ``home`` holds the development issuer's keys (a temporary folder unless given)."""
    from dogcare.auth.verifier import reset_verifier_cache
    from dogcare.local.gateway import LocalGateway
    from dogcare.storage.tables import create_tables
    from handlers.common import runtime

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="dogcare-bench-") as tmp:
        home = home or Path(tmp)
        os.environ.update({**function_env(dynamo.endpoint, prefix, home), **_LOCAL_ONLY})
        for name in _CLEARED:
            os.environ.pop(name, None)
        runtime.reset()
        reset_verifier_cache()
        try:
            create_tables(runtime.dogcare().store)
            yield Api(LocalGateway(containers_per_function=1), home)
        finally:
            runtime.reset()
            reset_verifier_cache()
            os.environ.clear()
            os.environ.update(saved)


class Api:
    def __init__(self, gateway: Any, home: Path) -> None:
        from dogcare.auth.dev_issuer import DevIssuer

        self.gateway = gateway
        self.home = home
        self.issuer = DevIssuer(home)
        self._tokens: dict[tuple[str, bool], str] = {}

    def token(self, sub: str, admin: bool = False) -> str:
        if (sub, admin) not in self._tokens:
            self._tokens[(sub, admin)] = self.issuer.mint(sub, admin=admin, expires_in=12 * 3600)
        return self._tokens[(sub, admin)]

    def headers(self, sub: str, admin: bool = False, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, admin)}", "Content-Type": "application/json", **extra}

    def call(self, sub: str, method: str, path: str, body: Any = None, admin: bool = False, **extra: str) -> Any:
        raw = json.dumps(body).encode() if body is not None else b""
        return self.gateway.invoke(method, path, self.headers(sub, admin, **extra), raw)

    def register(self, sub: str, name: str, email: str) -> Any:
        """``POST /owners/register``: the email travels as the ID token's verified one."""
        id_token = self.issuer.mint_id_token(sub, email, expires_in=12 * 3600)
        return self.ok(sub, "POST", "/owners/register", {"name": name}, **{"X-Id-Token": id_token})

    def ok(self, sub: str, method: str, path: str, body: Any = None, admin: bool = False, **extra: str) -> Any:
        response = self.call(sub, method, path, body, admin, **extra)
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {response.body[:300]!r}")
        return json.loads(response.body) if response.body else None

    @property
    def app(self) -> Any:
        from handlers.common import runtime

        return runtime.dogcare()


# --- example data ----------------------------------------------------------------------------

REQUIRED = ("rabies", "dhpp", "bordetella")


def day(offset: int, hour: int = 9) -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=offset), time(hour), UTC)


def dog_body(name: str = "Rex") -> dict[str, Any]:
    until = (date.today() + timedelta(days=900)).isoformat()
    return {
        "name": name,
        "size": "large",
        "breed": "Labrador",
        "age": 4,
        "vaccinations": [{"name": n, "expires_on": until} for n in REQUIRED],
    }


def booking_body(dog_id: str, offset: int, start: int = 9, end: int = 17) -> dict[str, Any]:
    return {
        "dog_id": dog_id,
        "service_type": "daycare",
        "start_time": day(offset, start).isoformat(),
        "end_time": day(offset, end).isoformat(),
    }


# --- recording DynamoDB requests -------------------------------------------------------------


@dataclass
class Call:
    client: int
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None
    error: str | None = None


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Every DynamoDB request of every botocore client in this process, with its parsed answer."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    calls: list[Call] = []
    original = BaseClient._make_api_call
    lock = threading.Lock()

    def record(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation_name, api_params)
        params = copy.deepcopy(api_params)
        try:
            response = original(self, operation_name, api_params)
        except ClientError as exc:
            with lock:
                calls.append(
                    Call(id(self), operation_name, params, exc.response, exc.response.get("Error", {}).get("Code"))
                )
            raise
        with lock:
            calls.append(Call(id(self), operation_name, params, response))
        return response

    BaseClient._make_api_call = record  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


# --- DynamoDB item sizes (as DynamoDB bills them) --------------------------------------------


def _number_size(text: str) -> int:
    digits = Decimal(text).normalize()
    significant = len(digits.as_tuple().digits) if digits != 0 else 1
    return math.ceil(significant / 2) + 1


def attribute_size(value: dict[str, Any]) -> int:
    """The size of one typed attribute value (without its name)."""
    kind, data = next(iter(value.items()))
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(n) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item as DynamoDB counts them: attribute names plus values."""
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def units(size: int, unit: int) -> int:
    """Capacity units for ``size`` bytes in ``unit``-byte steps (at least one)."""
    return max(1, math.ceil(size / unit))


def run_timed(action: Callable[[], Any]) -> float:
    """Seconds ``action`` took (perf_counter)."""
    import time as clock

    began = clock.perf_counter()
    action()
    return clock.perf_counter() - began
