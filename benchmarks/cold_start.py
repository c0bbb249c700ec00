"""1. Cold start per function: a fresh process that imports the handler module and serves its
first request (a real API Gateway event) against the local DynamoDB server, timed from the
moment the process is spawned to the moment the response is ready.

The floor is a fresh process that only imports boto3, creates a DynamoDB client and sends the
same DynamoDB requests (recorded from the function's own first request). Both run with the
functions' environment as Lambda sets it (``LAMBDA_TASK_ROOT``, a sampled ``_X_AMZN_TRACE_ID``,
the template's ``Tracing: Active``), alternating, ``RUNS`` times each; medians are compared.

``python -X importtime`` of each function's first request then says where the import time goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    REGION,
    ROOT,
    Dynamo,
    Section,
    booking_body,
    day,
    dog_body,
    function_env,
    functions_in_process,
    median,
    num,
    ratio,
    recording,
    table,
    times,
)

RUNS = 12
TARGET = 1.2
EAGER_AUTH = ("dogcare.auth.dev_issuer", "dogcare.auth.jwks", "dogcare.auth.verifier")

CHILD = r"""
import json, os, sys, time
t0 = float(os.environ.pop("BENCH_T0"))
with open(os.environ.pop("BENCH_SPEC")) as f:
    spec = json.load(f)
marks = {}
if spec["kind"] == "handler":
    import importlib
    for name in spec.get("preload", []):
        importlib.import_module(name)
    module = importlib.import_module(spec["module"])
    marks["imported"] = time.time()

    class Context:
        function_name = spec["function"]
        function_version = "$LATEST"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + spec["function"]
        memory_limit_in_mb = 512
        aws_request_id = "00000000-0000-4000-8000-000000000001"
        log_group_name = "/aws/lambda/" + spec["function"]
        log_stream_name = "cold"
        def get_remaining_time_in_millis(self):
            return 29000

    result = module.lambda_handler(spec["event"], Context())
    status = result.get("statusCode", "policy") if isinstance(result, dict) else "?"
else:
    import boto3
    marks["imported"] = time.time()
    client = boto3.client("dynamodb", endpoint_url=spec["endpoint"], region_name=spec["region"])
    for operation, params in spec["calls"]:
        try:
            client._make_api_call(operation, params)
        except client.exceptions.ClientError:
            pass  # a replayed conditional write may be refused; it was sent and answered all the same
    status = "floor"
done = time.time()
sys.stdout.write("\nBENCH " + json.dumps({
    "ms": (done - t0) * 1000, "import_ms": (marks["imported"] - t0) * 1000, "status": status}) + "\n")
"""


@dataclass
class Case:
    name: str
    function: str
    module: str
    event: dict[str, Any]
    calls: list[tuple[str, dict[str, Any]]]
    env: dict[str, str]
    expected: Any
    preload: tuple[str, ...] = ()


def _lambda_env(base: dict[str, str], function: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOGCARE_", "POWERTOOLS_", "AWS_"))}
    env.update(base)
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(ROOT),
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "_X_AMZN_TRACE_ID": "Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "POWERTOOLS_SERVICE_NAME": f"dogcare-{function.removesuffix('Function').lower()}",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("PYTHONPATH", None)
    return env


def _cases(dynamo: Dynamo, home: Path) -> list[Case]:
    """Seed data, build each function's first event, and record the DynamoDB requests it sends."""
    from dogcare.local.gateway import LambdaContext
    from dogcare.testing.payment_gateway import InMemoryPaymentGateway
    from handlers.registry import AUTHORIZER_FUNCTION, match

    prefix = "bench-cold"
    cases: list[Case] = []
    with functions_in_process(dynamo, prefix, home) as api:
        owner, staff = "cold-owner", "cold-staff"
        api.register(owner, "Cold Owner", "cold@example.com")
        dog = api.ok(owner, "POST", "/dogs", dog_body())["id"]
        booking = api.ok(owner, "POST", "/bookings", booking_body(dog, 3))["id"]
        api.app.payment_gateway = InMemoryPaymentGateway(webhook_secret=os.environ["DOGCARE_STRIPE_WEBHOOK_SECRET"])
        payment = api.ok(owner, "POST", "/payments", {"booking_id": booking})["id"]
        # The first request of each function (GET: the same request can be served on every run).
        firsts = [
            ("OwnersFunction: GET /owners/profile", owner, False, "GET", "/owners/profile", None),
            ("DogsFunction: GET /dogs/{id}", owner, False, "GET", f"/dogs/{dog}", None),
            ("BookingsFunction: GET /bookings/{id}", owner, False, "GET", f"/bookings/{booking}", None),
            ("PaymentsFunction: GET /payments/{id}", owner, False, "GET", f"/payments/{payment}", None),
            (
                "AdminFunction: GET /admin/bookings?date",
                staff,
                True,
                "GET",
                f"/admin/bookings?date={day(3).date().isoformat()}",
                None,
            ),
        ]
        base = function_env(dynamo.endpoint, prefix, home)
        for name, sub, admin, method, path, _body in firsts:
            headers = api.headers(sub, admin)
            found = match(method, path.split("?")[0])
            assert found is not None
            route, params = found
            event = api.gateway.event(
                method, path, headers, b"", "203.0.113.9", route.path, params, api.gateway.authorize(headers)
            )
            with recording() as calls:
                result = api.gateway.pools[route.function].invoke(event, LambdaContext(route.function))
            assert result["statusCode"] == 200, result
            cases.append(
                Case(
                    name,
                    route.function,
                    route.module,
                    event,
                    [(c.operation, c.params) for c in calls],
                    _lambda_env(base, route.function),
                    200,
                )
            )
        token = api.token(owner)
        authorizer_event = {
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/dogs",
            "resource": "/dogs",
            "path": "/dogs",
            "httpMethod": "GET",
            "headers": {"Authorization": f"Bearer {token}"},
            "multiValueHeaders": {"Authorization": [f"Bearer {token}"]},
            "requestContext": {"requestId": "cold-start", "stage": "prod"},
        }
        # The same first request as before the authentication package imported its names lazily:
        # every API function then loaded PyJWT and cryptography with ``dogcare.auth.identity``.
        dogs = next(c for c in cases if c.function == "DogsFunction")
        cases.append(
            Case(
                "DogsFunction, auth imported eagerly (before the change)",
                dogs.function,
                dogs.module,
                dogs.event,
                dogs.calls,
                dogs.env,
                200,
                EAGER_AUTH,
            )
        )
        env = _lambda_env(base, AUTHORIZER_FUNCTION[0])
        env["AWS_SAM_LOCAL"] = "true"  # lets the authorizer trust the development issuer's keys
        cases.append(
            Case(
                "AuthorizerFunction: REQUEST event",
                AUTHORIZER_FUNCTION[0],
                AUTHORIZER_FUNCTION[1],
                authorizer_event,
                [],
                env,
                "policy",
            )
        )
    return cases


def _spawn(case: Case, kind: str, dynamo: Dynamo, spec_dir: Path, importtime: bool = False) -> dict[str, Any]:
    spec = {
        "kind": kind,
        "module": case.module,
        "function": case.function,
        "event": case.event,
        "calls": case.calls,
        "endpoint": dynamo.endpoint,
        "region": REGION,
        "preload": list(case.preload),
    }
    spec_file = spec_dir / f"{case.function}-{kind}-{len(case.preload)}.json"
    spec_file.write_text(json.dumps(spec))
    env = {**case.env, "BENCH_SPEC": str(spec_file)}
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", CHILD]
    env["BENCH_T0"] = repr(time.time())
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"{case.name} ({kind}) failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(line[6:])
    if kind == "handler" and result["status"] != case.expected:
        raise RuntimeError(f"{case.name}: status {result['status']}: {done.stdout[-500:]}")
    result["stderr"] = done.stderr
    return result


def _importtime(stderr: str) -> tuple[float, dict[str, float], dict[str, float]]:
    """Total import ms, self ms by top-level package, and cumulative ms by module."""
    by_package: dict[str, float] = defaultdict(float)
    cumulative: dict[str, float] = {}
    total = 0.0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|", 2)
        module = name.strip()
        self_ms, cum_ms = int(self_us) / 1000, int(cum_us) / 1000
        by_package[module.split(".")[0]] += self_ms
        cumulative[module] = max(cumulative.get(module, 0.0), cum_ms)
        total += self_ms
    return total, dict(by_package), cumulative


# Imported by the API functions although their requests never use them (reported if present).
OFF_PATH = {
    "jwt": "PyJWT (token verification is the authorizer's job)",
    "cryptography": "cryptography (only the authorizer verifies signatures)",
    "stripe": "the Stripe SDK (only payment calls need it)",
    "boto3": "boto3 (only the idempotency layer uses it, and only with a key)",
    "dogcare.services.payments": "the payment service (only payment routes)",
}


def run(dynamo: Dynamo, runs: int = RUNS) -> Section:
    with tempfile.TemporaryDirectory(prefix="dogcare-cold-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        cases = _cases(dynamo, home)
        spec_dir = Path(tmp)
        samples: dict[str, dict[str, list[dict[str, Any]]]] = {c.name: {"handler": [], "floor": []} for c in cases}
        for case in cases:  # one unmeasured run each: the OS file cache is warm for both kinds
            _spawn(case, "handler", dynamo, spec_dir)
            _spawn(case, "floor", dynamo, spec_dir)
        for i in range(runs):
            for case in cases:
                kinds = ("handler", "floor") if i % 2 == 0 else ("floor", "handler")
                for kind in kinds:
                    samples[case.name][kind].append(_spawn(case, kind, dynamo, spec_dir))
        profiles = {
            case.name: _importtime(_spawn(case, "handler", dynamo, spec_dir, importtime=True)["stderr"])
            for case in cases
        }

    rows, data = [], {}
    for case in cases:
        h = [s["ms"] for s in samples[case.name]["handler"]]
        f = [s["ms"] for s in samples[case.name]["floor"]]
        hi = median([s["import_ms"] for s in samples[case.name]["handler"]])
        fi = median([s["import_ms"] for s in samples[case.name]["floor"]])
        r = ratio(median(h), median(f))
        data[case.name] = {"handler_ms": median(h), "floor_ms": median(f), "ratio": r}
        rows.append(
            [
                case.name,
                len(h),
                num(median(f), 0),
                num(fi, 0),
                num(median(h), 0),
                num(hi, 0),
                times(r),
                "yes" if r <= TARGET else "**no**",
            ]
        )
    main = table(
        [
            "function: first request",
            "runs",
            "floor ms",
            "of which import boto3",
            "function ms",
            "of which import handler",
            "xfloor",
            f"<= {TARGET}x",
        ],
        rows,
    )

    import_rows = []
    for case in cases:
        total, by_package, cumulative = profiles[case.name]
        top = sorted(by_package.items(), key=lambda kv: -kv[1])[:6]
        off = [
            f"{m} {num(cumulative[m], 0)} ms"
            for m in OFF_PATH
            if cumulative.get(m, 0) >= 1 and case.function != "AuthorizerFunction"
        ]
        import_rows.append(
            [
                case.name.split(":")[0],
                num(total, 0),
                ", ".join(f"{p} {num(ms, 0)}" for p, ms in top),
                "; ".join(off) or "none",
            ]
        )
    imports = table(
        ["function", "import ms (self, sum)", "top packages by self time (ms)", "imported but not needed on this path"],
        import_rows,
    )
    api = {k: v for k, v in data.items() if "Authorizer" not in k and "before" not in k}
    eager = next((v for k, v in data.items() if "before" in k), None)
    dogs = next((v for k, v in data.items() if k.startswith("DogsFunction:")), None)
    worst = max(api.values(), key=lambda d: d["ratio"])
    summary = (
        f"API functions {min(d['ratio'] for d in api.values()):.2f}-{worst['ratio']:.2f}x the boto3 floor "
        f"(median {num(median([d['handler_ms'] for d in api.values()]), 0)} ms against "
        f"{num(median([d['floor_ms'] for d in api.values()]), 0)} ms; target <= {TARGET}x: missed), the "
        f"authorizer {times(data[cases[-1].name]['ratio'])}. Importing the handler is most of the difference."
    )
    if eager and dogs:
        saved = eager["handler_ms"] - dogs["handler_ms"]
        summary += (
            f" Importing the authentication package's names lazily (PyJWT and cryptography no longer load in "
            f"the API functions) saved {num(saved, 0)} ms ({saved / eager['handler_ms']:.0%}) in this run."
        )
    return Section(
        1,
        "Cold start per function",
        summary,
        main + "\n\n" + imports,
        data={"functions": data, "imports": {k: v[1] for k, v in profiles.items()}},
    )
