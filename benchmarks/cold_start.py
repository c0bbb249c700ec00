"""1. Cold start per function: a fresh process that imports the handler module and serves its
first request (a real API Gateway event) against the local DynamoDB server, timed from the
moment the process is spawned to the moment the response is ready.

The floor is a fresh process that only imports boto3, creates a DynamoDB client and sends the
same DynamoDB requests (recorded from the function's own first request). Both run with the
functions' environment as Lambda sets it (``LAMBDA_TASK_ROOT``, a sampled ``_X_AMZN_TRACE_ID``,
the template's ``Tracing: Active``), alternating, ``RUNS`` times each; medians are compared.

Each function runs from its code folder as ``deploy/Makefile`` builds it for ``sam build``
(``dogcare/`` and ``handlers/`` without local mode and the CLI, byte-compiled with hash-based
``.pyc`` files), so no run compiles source the deployed function would find compiled. The same
first requests are served, in the same runs, by the code of ``BASELINE`` (the commit before the
cold-start work), built the same way: the "before" columns.

Our functions run with botocore as the dependencies layer ships it (its endpoint data trimmed
by ``deploy/slim_botocore.py``), first on their path; the floor and the "before" code with
botocore as it comes. Each run also records the process's CPU time (``cpu ms``): on a shared
machine, waiting for the CPU inflates wall-clock times, CPU time much less.

``python -X importtime`` of each function's first request, before and after, then says where the
import time goes. The stack-floor rows (benchmarks/stack_floor.py) run in the same loop.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import stack_floor
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
# main before the cold-start work (wiring per function, lazy Event Handler package, deferred
# model builds): the code the "before" columns run.
BASELINE = "f59a5a6c009a3a0de73e92b94ff0afead05d2771"
PACKAGES = ("dogcare", "handlers")
LOCAL_ONLY = ("dogcare/local", "dogcare/cli")  # deploy/Makefile leaves these out of the functions

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
    "ms": (done - t0) * 1000, "import_ms": (marks["imported"] - t0) * 1000, "status": status,
    "cpu_ms": time.process_time() * 1000}) + "\n")
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
    root: Path = ROOT
    baseline: bool = True  # also run on the baseline's code
    stack: bool = False  # a stack-floor function (benchmarks/stack_floor.py), not ours
    layer: Path | None = None  # first on the function's path: botocore as the layer ships it


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
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",  # set by Lambda for its runtime client
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
        # The stages other than prod trace with Lambda's own segments only (template.yaml).
        dogs = next(c for c in cases if c.function == "DogsFunction")
        cases.append(
            Case(
                f"DogsFunction, other stages (no X-Ray SDK): {dogs.name.split(': ', 1)[1]}",
                dogs.function,
                dogs.module,
                dogs.event,
                dogs.calls,
                {**dogs.env, "POWERTOOLS_TRACE_DISABLED": "true"},
                200,
                baseline=False,
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


def _package(dest: Path, commit: str | None = None) -> Path:
    """A function's code folder as deploy/Makefile builds it, from the work tree or ``commit``."""
    dest.mkdir(parents=True)
    if commit is None:
        for name in PACKAGES:
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, *PACKAGES], capture_output=True, check=True, timeout=60
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True, timeout=60)
    for name in LOCAL_ONLY:
        shutil.rmtree(dest / name, ignore_errors=True)
    compile_all = [sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*compile_all, str(dest)], check=True, capture_output=True, timeout=300)
    return dest


def _layer(build: Path) -> Path:
    """The installed botocore with the endpoint data the layer ships (deploy/slim_botocore.py)."""
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import slim_botocore
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    layer: Path = slim_botocore.slimmed_copy(build / "layer")
    return layer


def _with_baseline(cases: list[Case], build: Path) -> list[Case]:
    """Each API function's case, then the same case on the baseline's code (when git has it),
    as it was deployed then (botocore as it comes)."""
    after = _package(build / "after")
    layer = _layer(build)
    try:
        before = _package(build / "before", BASELINE)
    except (subprocess.CalledProcessError, FileNotFoundError):
        before = None  # no git history here (an exported tree): the "after" numbers only
    result = []
    for case in cases:
        result.append(Case(**{**case.__dict__, "root": after, "layer": layer}))
        if before is not None and case.function != AUTHORIZER and case.baseline:
            result.append(Case(**{**case.__dict__, "name": _before(case.name), "root": before}))
    return result


AUTHORIZER = "AuthorizerFunction"


def _stack_floor(cases: list[Case], build: Path) -> list[Case]:
    """The stack-floor functions, serving the dogs function's first request."""
    dogs = next(c for c in cases if c.function == "DogsFunction")
    root = stack_floor.build(build / "floors")
    return [
        Case(row, module, module, dogs.event, [], env, 200, root=root, baseline=False, stack=True, layer=dogs.layer)
        for row, module, env in stack_floor.specs(dogs.calls, dogs.env)
    ]


def _floor_calls(case: Case) -> list[tuple[str, dict[str, Any]]]:
    """What the floor sends for ``case``: its recorded requests; for the stack floor, its GetItem."""
    if case.stack:
        return [("GetItem", json.loads(case.env["FLOOR_GET_ITEM"]))]
    return case.calls


def _kinds(case: Case, run: int) -> tuple[str, ...]:
    """What to spawn for ``case`` in run ``run``, alternating which goes first. The stack-floor
    functions share one floor: the bare one's."""
    if case.stack and case.name != stack_floor.BARE:
        return ("handler",)
    return ("handler", "floor") if run % 2 == 0 else ("floor", "handler")


def _before(name: str) -> str:
    return name.split(":")[0] + ", before"


def _spawn(case: Case, kind: str, dynamo: Dynamo, spec_dir: Path, importtime: bool = False) -> dict[str, Any]:
    spec = {
        "kind": kind,
        "module": case.module,
        "function": case.function,
        "event": case.event,
        "calls": _floor_calls(case),
        "endpoint": dynamo.endpoint,
        "region": REGION,
        "preload": list(case.preload),
    }
    spec_file = spec_dir / f"{case.function}-{kind}-{case.root.name}.json"
    spec_file.write_text(json.dumps(spec))
    # The code folder is the working directory (first on sys.path, as Lambda's task root is).
    env = {**case.env, "BENCH_SPEC": str(spec_file), "LAMBDA_TASK_ROOT": str(case.root)}
    if kind == "handler" and case.layer is not None:
        env["PYTHONPATH"] = str(case.layer)  # the floor keeps botocore as it comes
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", CHILD]
    env["BENCH_T0"] = repr(time.time())
    done = subprocess.run(args, env=env, cwd=case.root, capture_output=True, text=True, timeout=120, check=False)
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
    "aws_lambda_powertools.utilities.idempotency": "Powertools Idempotency (only a request with a key)",
    "aws_lambda_powertools.event_handler.appsync": "the AppSync resolver (Event Handler's package __init__)",
    "moto": "moto (tests and local mode only)",
}


def run(dynamo: Dynamo, runs: int = RUNS) -> Section:
    with tempfile.TemporaryDirectory(prefix="dogcare-cold-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        ours = _cases(dynamo, home)
        with_baseline = _with_baseline(ours, Path(tmp) / "build")
        cases = with_baseline + _stack_floor(with_baseline, Path(tmp) / "build")
        spec_dir = Path(tmp)
        samples: dict[str, dict[str, list[dict[str, Any]]]] = {c.name: {"handler": [], "floor": []} for c in cases}
        for case in cases:  # one unmeasured run each: the OS file cache is warm for both kinds
            for kind in _kinds(case, 0):
                _spawn(case, kind, dynamo, spec_dir)
        for i in range(runs):
            for case in cases:
                for kind in _kinds(case, i):
                    samples[case.name][kind].append(_spawn(case, kind, dynamo, spec_dir))
        profiles = {
            case.name: _importtime(_spawn(case, "handler", dynamo, spec_dir, importtime=True)["stderr"])
            for case in cases
            if not case.stack
        }

    data: dict[str, dict[str, float]] = {}
    for case in cases:
        h = [s["ms"] for s in samples[case.name]["handler"]]
        floor = samples[case.name]["floor"] or samples[stack_floor.BARE]["floor"]
        f = [s["ms"] for s in floor]
        data[case.name] = {
            "handler_ms": median(h),
            "floor_ms": median(f),
            "import_ms": median([s["import_ms"] for s in samples[case.name]["handler"]]),
            "floor_import_ms": median([s["import_ms"] for s in floor]),
            "ratio": ratio(median(h), median(f)),
            "handler_cpu_ms": median([s["cpu_ms"] for s in samples[case.name]["handler"]]),
            "floor_cpu_ms": median([s["cpu_ms"] for s in floor]),
            "runs": len(h),
        }
        data[case.name]["cpu_ratio"] = ratio(data[case.name]["handler_cpu_ms"], data[case.name]["floor_cpu_ms"])
    after = [c for c in cases if c.root.name == "after"]
    rows = []
    for case in after:
        d, b = data[case.name], data.get(_before(case.name))
        rows.append(
            [
                case.name,
                d["runs"],
                num(d["floor_ms"], 0),
                num(d["floor_import_ms"], 0),
                f"{num(b['handler_ms'], 0)} ({times(b['ratio'])})" if b else "-",
                num(d["handler_ms"], 0),
                num(d["import_ms"], 0),
                times(d["ratio"]),
                f"{num(d['handler_cpu_ms'], 0)} / {num(d['floor_cpu_ms'], 0)} ({times(d['cpu_ratio'])})",
                f"{b['ratio'] / d['ratio']:.2f}" if b else "-",
                "yes" if d["ratio"] <= TARGET else "**no**",
            ]
        )
    main = table(
        [
            "function: first request",
            "runs",
            "floor ms",
            "of which import boto3",
            f"before ms (xfloor), {BASELINE[:7]}",
            "function ms",
            "of which import handler",
            "xfloor",
            "CPU ms function / floor (x)",
            "before/after",
            f"<= {TARGET}x",
        ],
        rows,
    )

    import_rows = []
    for case in cases:
        if case.stack:
            continue
        total, by_package, cumulative = profiles[case.name]
        top = sorted(by_package.items(), key=lambda kv: -kv[1])[:7]
        off = [
            f"{m} {num(cumulative[m], 0)} ms"
            for m in OFF_PATH
            if cumulative.get(m, 0) >= 1 and case.function != AUTHORIZER
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
    api = {c.name: data[c.name] for c in after if c.function != AUTHORIZER and c.baseline}
    before = {c.name: data[_before(c.name)] for c in after if _before(c.name) in data}
    worst = max(api.values(), key=lambda d: d["ratio"])
    met = all(d["ratio"] <= TARGET for d in api.values())
    summary = (
        f"API functions {min(d['ratio'] for d in api.values()):.2f}-{worst['ratio']:.2f}x the boto3 floor "
        f"(median {num(median([d['handler_ms'] for d in api.values()]), 0)} ms against "
        f"{num(median([d['floor_ms'] for d in api.values()]), 0)} ms; target <= {TARGET}x: "
        f"{'met' if met else 'missed'}), the authorizer "
        f"{times(next(d['ratio'] for k, d in data.items() if k.startswith(AUTHORIZER)))}."
    )
    other = next((data[c.name] for c in after if not c.baseline), None)
    if other:
        summary += f" Without the X-Ray SDK (every stage but prod) the dogs function is at {times(other['ratio'])}."
    if before:
        summary += (
            f" The code before the cold-start work ({BASELINE[:7]}), in the same run: "
            f"{min(d['ratio'] for d in before.values()):.2f}-{max(d['ratio'] for d in before.values()):.2f}x."
        )
    stack = {c.name: data[c.name] for c in cases if c.stack}
    stack_summary, stack_table = stack_floor.section(stack, other)
    summary += " " + stack_summary
    return Section(
        1,
        "Cold start per function",
        summary,
        main + "\n\n" + imports + "\n\n" + stack_table,
        data={
            "functions": {c.name: data[c.name] for c in after if c.baseline},  # what the cost model uses
            "other_stages": {c.name: data[c.name] for c in after if not c.baseline},
            "before": before,
            "imports": {k: v[1] for k, v in profiles.items()},
            "stack_floor": stack,
        },
    )
