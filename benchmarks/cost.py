"""5. Cost model: the monthly AWS bill of a stated request mix at 1 million API requests a month,
from the capacity measured in section 3, the handler time measured in section 2 and the cold
starts of section 1, at public on-demand prices (us-east-1, x86, before any free tier).

What is modelled: DynamoDB read/write request units, Lambda requests and GB-seconds (the API
functions and the authorizer), API Gateway REST requests. Not modelled: storage, backups,
CloudWatch logs and metrics, X-Ray traces, Secrets Manager, data transfer, Stripe's fees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks.common import Section, num, table, times

REQUESTS_PER_MONTH = 1_000_000

# Public on-demand prices, us-east-1 (USD).
PRICES = {
    "dynamodb_wru": 1.25 / 1e6,  # per write request unit: list price until 31 Oct 2024
    "dynamodb_rru": 0.25 / 1e6,  # per read request unit: list price until 31 Oct 2024
    "dynamodb_wru_2024_11": 0.625 / 1e6,  # since 1 Nov 2024 (on-demand throughput halved)
    "dynamodb_rru_2024_11": 0.125 / 1e6,
    "lambda_request": 0.20 / 1e6,  # per invocation (x86)
    "lambda_gb_second": 0.0000166667,  # per GB-second (x86)
    "apigw_rest_request": 3.50 / 1e6,  # REST API, first 333 million a month
}
PRICE_NOTE = (
    "Prices (us-east-1, on-demand, before free tiers): DynamoDB $1.25 per million write request units and "
    "$0.25 per million read request units (the list prices until 31 October 2024; since 1 November 2024 they "
    "are $0.625 and $0.125, shown alongside); Lambda $0.20 per million requests and $0.0000166667 per "
    "GB-second (x86, prices as of November 2024 and unchanged since); API Gateway REST $3.50 per million "
    "requests (first 333 million)."
)
ORIGINAL_ESTIMATE = (25.0, 50.0)  # USD a month, the product's estimate for moderate use

# Assumptions of the model (stated in the report).
MEMORY_GB = 0.5  # MemorySize: 512 in template.yaml
CPU_FACTOR = 1769 / 512  # Lambda gives one vCPU at 1,769 MB: 512 MB runs CPU-bound code ~3.5x slower
DYNAMODB_MS = {"read": 5.0, "write": 8.0, "transaction": 12.0}  # in-region latency per request (assumed)
PROVIDER_MS = 300.0  # one Stripe API call (assumed)
AUTHORIZER_SHARE = 0.25  # API requests that miss the authorizer cache (ReauthorizeEvery: 300 s)
COLD_SHARE = 0.02  # invocations that start a new execution environment

# The request mix: (share of the month's requests, operation measured in section 3, provider calls).
MIX: list[tuple[float, str, int]] = [
    (0.115, "list dogs (2)", 0),
    (0.06, "get dog", 0),
    (0.06, "get profile", 0),
    (0.14, "list bookings in a month", 0),
    (0.10, "get booking", 0),
    (0.08, "create booking (Idempotency-Key)", 0),
    (0.02, "create booking (boarding, 3 nights)", 0),
    (0.02, "update instructions", 0),
    (0.01, "reschedule booking", 0),
    (0.01, "cancel booking (unpaid)", 0),
    (0.01, "cancel booking (paid: refund)", 1),
    (0.08, "start payment", 1),
    (0.10, "payment webhook (succeeded)", 0),
    (0.04, "get payment", 0),
    (0.06, "day roster", 0),
    (0.035, "check in", 0),
    (0.035, "check out", 0),
    (0.005, "register", 0),
    (0.005, "add dog", 0),
    (0.005, "update dog", 0),
    (0.005, "update profile", 0),
    (0.005, "list owners (staff)", 0),
]
PUBLIC = {"payment webhook (succeeded)"}  # no authorizer in front


@dataclass
class Line:
    name: str
    share: float
    rru: float
    wru: float
    min_rru: float
    min_wru: float
    lambda_ms: float


def _lambda_ms(measured: Any, warm: dict[str, Any], provider_calls: int) -> float:
    """Estimated billed duration of one invocation: the handler's own time (measured here, scaled to
    a 512 MB function's CPU share) plus DynamoDB round trips and provider calls at assumed latencies."""
    reads = [v["overhead_ms"] for k, v in warm.items() if k in ("get dog", "list dogs (3)")]
    writes = [v["overhead_ms"] for k, v in warm.items() if k in ("create booking", "cancel booking")]
    is_write = any(op != "GetItem" and op != "Query" and op != "BatchGetItem" for op in measured.minimum.requests)
    own = (sum(writes) / len(writes) if is_write else sum(reads) / len(reads)) * CPU_FACTOR
    waits = 0.0
    for op, n in measured.actual.requests.items():
        kind = (
            "transaction"
            if op == "TransactWriteItems"
            else "read"
            if op in ("GetItem", "Query", "BatchGetItem")
            else "write"
        )
        waits += n * DYNAMODB_MS[kind]
    return own + waits + provider_calls * PROVIDER_MS


def run(capacity: Section, warm: Section, cold: Section) -> Section:
    ops = capacity.data["ops"]
    warm_ops = warm.data["ops"]
    assert abs(sum(share for share, _, _ in MIX) - 1.0) < 1e-9, "the mix must add up to 100%"
    lines = []
    for share, name, provider_calls in MIX:
        m = ops[name]
        lines.append(
            Line(
                name,
                share,
                m.actual.rru,
                m.actual.write_units,
                m.minimum.rru,
                m.minimum.write_units,
                _lambda_ms(m, warm_ops, provider_calls),
            )
        )
    n = REQUESTS_PER_MONTH
    rru = sum(line.share * line.rru for line in lines) * n
    wru = sum(line.share * line.wru for line in lines) * n
    min_rru = sum(line.share * line.min_rru for line in lines) * n
    min_wru = sum(line.share * line.min_wru for line in lines) * n
    rate_limit_wru = n * 1.0  # one UpdateItem of 1 WRU per request
    dynamodb = rru * PRICES["dynamodb_rru"] + wru * PRICES["dynamodb_wru"]
    dynamodb_new = rru * PRICES["dynamodb_rru_2024_11"] + wru * PRICES["dynamodb_wru_2024_11"]
    dynamodb_min = min_rru * PRICES["dynamodb_rru"] + min_wru * PRICES["dynamodb_wru"]

    cold_ms = sum(v["handler_ms"] for k, v in cold.data["functions"].items() if "Authorizer" not in k) / max(
        1, sum(1 for k in cold.data["functions"] if "Authorizer" not in k)
    )
    authorizer_cold = next((v["handler_ms"] for k, v in cold.data["functions"].items() if "Authorizer" in k), 0.0)
    api_invocations = n
    authorizer_invocations = n * AUTHORIZER_SHARE * (1 - sum(line.share for line in lines if line.name in PUBLIC))
    api_ms = sum(line.share * line.lambda_ms for line in lines)
    authorizer_ms = warm.data["authorizer_ms"] * CPU_FACTOR + 1.0
    gb_seconds = (
        api_invocations * (api_ms + COLD_SHARE * cold_ms * CPU_FACTOR) / 1000 * MEMORY_GB
        + authorizer_invocations * (authorizer_ms + COLD_SHARE * authorizer_cold * CPU_FACTOR) / 1000 * MEMORY_GB
    )
    lambda_cost = (api_invocations + authorizer_invocations) * PRICES["lambda_request"] + gb_seconds * PRICES[
        "lambda_gb_second"
    ]
    apigw = n * PRICES["apigw_rest_request"]
    total = dynamodb + lambda_cost + apigw
    total_new = dynamodb_new + lambda_cost + apigw

    mix_rows = [
        [line.name, f"{line.share * 100:.1f}%", num(line.rru, 1), num(line.wru, 0), num(line.lambda_ms, 0)]
        for line in lines
    ]
    bill_rows = [
        [
            "DynamoDB",
            f"{num(rru / 1e6, 2)} M RRU, {num(wru / 1e6, 2)} M WRU",
            f"${dynamodb:,.2f}",
            f"${dynamodb_new:,.2f}",
        ],
        [
            "of which rate limiting",
            f"{num(rate_limit_wru / 1e6, 2)} M WRU",
            f"${rate_limit_wru * PRICES['dynamodb_wru']:,.2f}",
            f"${rate_limit_wru * PRICES['dynamodb_wru_2024_11']:,.2f}",
        ],
        [
            "Lambda",
            f"{num((api_invocations + authorizer_invocations) / 1e6, 2)} M invocations, {num(gb_seconds, 0)} GB-s",
            f"${lambda_cost:,.2f}",
            f"${lambda_cost:,.2f}",
        ],
        ["API Gateway (REST)", f"{num(n / 1e6, 2)} M requests", f"${apigw:,.2f}", f"${apigw:,.2f}"],
        ["**total**", "", f"**${total:,.2f}**", f"**${total_new:,.2f}**"],
    ]
    low, high = ORIGINAL_ESTIMATE
    comparison = table(
        ["", "USD / month", "x the original estimate (25-50)"],
        [
            ["this model (prices until Oct 2024)", f"${total:,.2f}", f"{times(total / high)} - {times(total / low)}"],
            [
                "this model (prices since Nov 2024)",
                f"${total_new:,.2f}",
                f"{times(total_new / high)} - {times(total_new / low)}",
            ],
            [
                "DynamoDB at the minimum capacity (section 3)",
                f"${dynamodb_min:,.2f}",
                f"{times(dynamodb_min / dynamodb)} of the modelled DynamoDB cost",
            ],
        ],
    )
    assumptions = (
        f"Assumptions: {REQUESTS_PER_MONTH:,} API requests a month in the mix below (webhooks included); "
        f"{AUTHORIZER_SHARE:.0%} of authenticated requests miss the authorizer's 300 s cache; {COLD_SHARE:.0%} of "
        f"invocations are cold (billed init = the measured cold start); 512 MB functions get "
        f"{512 / 1769:.0%} of a vCPU, so the handler time measured here counts {CPU_FACTOR:.2f}x; DynamoDB takes "
        f"{DYNAMODB_MS['read']:.0f} ms a read, {DYNAMODB_MS['write']:.0f} ms a write and "
        f"{DYNAMODB_MS['transaction']:.0f} ms a transaction; a Stripe call {PROVIDER_MS:.0f} ms. Not modelled: "
        "storage, backups, CloudWatch logs and metrics, X-Ray traces, Secrets Manager, data transfer."
    )
    body = "\n\n".join(
        [
            PRICE_NOTE,
            assumptions,
            table(["operation (section 3)", "share", "RRU", "WRU (table+index)", "Lambda ms (est.)"], mix_rows),
            table(["service", "usage", "USD / month", "USD / month (prices since Nov 2024)"], bill_rows),
            comparison,
        ]
    )
    summary = (
        f"At 1 M requests a month: ${total:,.2f} (DynamoDB ${dynamodb:,.2f}, Lambda ${lambda_cost:,.2f}, "
        f"API Gateway ${apigw:,.2f}); ${total_new:,.2f} at the prices since November 2024; the product's "
        f"estimate was $25-50."
    )
    return Section(
        5,
        "Cost model",
        summary,
        body,
        data={"total": total, "total_new": total_new, "dynamodb": dynamodb, "lambda": lambda_cost, "apigw": apigw},
    )
