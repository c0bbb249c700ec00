"""The per-caller rate limit: separate key spaces, a sliding window that holds across a minute
boundary, an abusive caller refused from memory (no DynamoDB request), and a throttled
counter item answered with 429, never 503.

Through the functions' ``lambda_handler`` on moto (and the limiter itself, with a moved clock);
every DynamoDB request is counted at botocore's ``_make_api_call``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from dogcare.errors import RateLimited
from dogcare.repositories.ratelimits import RateLimiter
from dogcare.storage.keys import rate_address as ip_key
from dogcare.storage.keys import rate_subject as subject_key
from tests.integration.api.support import Api, assert_problem

# Powertools warns when an invocation published no business metric (most requests do not).
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

MINUTE = datetime(2030, 1, 7, 10, 15, tzinfo=UTC)


@contextmanager
def dynamodb_requests(
    fail: Callable[[str, dict[str, Any]], str | None] | None = None,
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB request made in the block; ``fail`` may name an error code to answer instead."""
    calls: list[tuple[str, dict[str, Any]]] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            calls.append((operation, params))
            code = fail(operation, params) if fail else None
            if code:
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)
        return original(self, operation, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", counting)
        yield calls


def on_rate_items(code: str) -> Callable[[str, dict[str, Any]], str | None]:
    def fail(operation: str, params: dict[str, Any]) -> str | None:
        key = params.get("Key", {}).get("pk", {}).get("S", "")
        return code if key.startswith("RATE#") else None

    return fail


def clock_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr("dogcare.repositories.ratelimits.utcnow", lambda: moment)


def webhook(api: Api, source_ip: str) -> Any:
    """An unsigned webhook delivery: 400 once past the rate limit (which answers first)."""
    from dogcare.testing.payment_gateway import InMemoryPaymentGateway
    from handlers.common import runtime

    runtime.dogcare().payment_gateway = InMemoryPaymentGateway()  # Stripe, in process
    return api.call(
        "POST",
        "/payments/webhook",
        authorizer=None,
        raw_body='{"id": "evt_1", "type": "customer.created"}',
        source_ip=source_ip,
        headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
    )


# --- key spaces ----------------------------------------------------------------------------------


def test_no_subject_can_share_an_ip_s_key() -> None:
    for sub in ("ip:127.0.0.1", "ip#127.0.0.1", "127.0.0.1", "sub#x"):
        assert subject_key(sub) != ip_key("127.0.0.1")
        assert not subject_key(sub).startswith("ip#")


@pytest.mark.parametrize("sub", ["ip:127.0.0.1", "ip#127.0.0.1"])
def test_a_subject_named_like_an_ip_does_not_use_up_that_ip_s_webhook_allowance(
    api: Api, monkeypatch: pytest.MonkeyPatch, sub: str
) -> None:
    api.register(sub)
    api.reconfigure(DOGCARE_RATE_LIMIT_PER_MINUTE="3")
    clock_at(monkeypatch, MINUTE + timedelta(seconds=10))
    for _ in range(3):
        assert api.call("GET", "/owners/profile", sub=sub).status == 200
    assert_problem(api.call("GET", "/owners/profile", sub=sub), 429, "rate-limited")
    # The webhook from 127.0.0.1 is counted apart: it gets past the limit to its signature check.
    assert_problem(webhook(api, "127.0.0.1"), 400, "invalid-webhook")


# --- a sliding window ------------------------------------------------------------------------------


def test_a_burst_across_a_minute_boundary_gets_about_the_limit_not_twice_it(api: Api) -> None:
    from handlers.common import runtime

    limit = 120
    limiter = RateLimiter(runtime.dogcare().store, limit)
    allowed = 0
    # 5 s before the boundary and 5 s after it, 25 requests every half second (500 in all).
    for step in range(20):
        moment = MINUTE + timedelta(seconds=55 + step * 0.5)
        for _ in range(25):
            try:
                limiter.hit_subject("burst", moment)
                allowed += 1
            except RateLimited:
                pass
    # A fixed window let 2 x 120 through in these 10 seconds; the weighted previous minute
    # leaves room for 120 * 5/60 = 10 more after the boundary.
    assert limit <= allowed <= limit + 11, allowed


def test_the_previous_minute_weighs_less_as_it_slides_out(api: Api) -> None:
    from handlers.common import runtime

    limiter = RateLimiter(runtime.dogcare().store, 10)
    for _ in range(10):
        limiter.hit_subject("slider", MINUTE + timedelta(seconds=50))
    with pytest.raises(RateLimited) as refused:
        limiter.hit_subject("slider", MINUTE + timedelta(seconds=65))  # 10 * 55/60 + 1 > 10
    # The refused request counted too: 10 * (1 - x/60) + 1 + 1 <= 10 from x = 12 s, 7 s on.
    assert refused.value.retry_after == 7
    fresh = RateLimiter(runtime.dogcare().store, 10)  # another container: DynamoDB's counts only
    assert fresh.hit_subject("slider", MINUTE + timedelta(seconds=72)) <= 10


# --- an abusive caller costs no DynamoDB request -----------------------------------------------------


def test_a_burst_past_the_limit_is_refused_from_memory(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.register("abuser")
    api.reconfigure(DOGCARE_RATE_LIMIT_PER_MINUTE="5")
    clock_at(monkeypatch, MINUTE + timedelta(seconds=30))
    statuses: list[int] = []
    with dynamodb_requests() as calls:
        for _ in range(5):
            statuses.append(api.call("GET", "/owners/profile", sub="abuser").status)
        before_refusal = len(calls)
        statuses.append(api.call("GET", "/owners/profile", sub="abuser").status)  # the 6th: counted
        at_refusal = len(calls)
        for _ in range(1000):
            statuses.append(api.call("GET", "/owners/profile", sub="abuser").status)
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}, "never a 503 or 500"
    assert at_refusal - before_refusal == 1  # one UpdateItem found it over the limit
    assert len(calls) == at_refusal, "the 1000 refused requests made DynamoDB requests"
    limited = api.call("GET", "/owners/profile", sub="abuser")
    assert int(limited.header("Retry-After") or 0) > 0
    assert api.call("GET", "/owners/profile", sub="other").status == 404  # only that caller


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_a_throttled_counter_item_is_429_never_503(api: Api, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    api.register("alice")
    api.reconfigure(DOGCARE_RATE_LIMIT_PER_MINUTE="100")
    clock_at(monkeypatch, MINUTE + timedelta(seconds=30))  # the note lasts a second: hold the clock
    with dynamodb_requests(on_rate_items(code)) as calls:
        limited = api.call("GET", "/owners/profile")
        assert_problem(limited, 429, "rate-limited")
        assert limited.header("Retry-After") == "1"
        made = len(calls)
        assert_problem(api.call("GET", "/owners/profile"), 429, "rate-limited")
        assert len(calls) == made, "refused from memory while the item is hot"


def test_a_failing_rate_limit_table_lets_requests_through(api: Api) -> None:
    api.register("alice")
    api.reconfigure(DOGCARE_RATE_LIMIT_PER_MINUTE="100")
    with dynamodb_requests(on_rate_items("InternalServerError")):
        assert api.call("GET", "/owners/profile").status == 200  # fail open: see ratelimits.py
