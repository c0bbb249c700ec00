"""DynamoDB faults injected at the botocore level, on one client.

``Faults`` counts the client's API calls (``before-call``) and answers chosen attempts of
chosen calls in ``before-send`` — before anything goes on the wire — with a DynamoDB error
response (botocore then parses it, retries it and raises it exactly as if DynamoDB had
sent it) or with a raised connection error. Nothing reaches the server for an answered
attempt, so a fault never half-applies a request: what the application does with the
error is what is under test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

# What the library itself sends again after botocore gave up (dogcare/storage: transactions and
# batch reads); anything else that follows a failed call is a new request.
LIBRARY_RETRIED = frozenset({"TransactWriteItems", "BatchGetItem"})


@dataclass(frozen=True)
class Fault:
    """One kind of failure: an error answer (``code``, ``status``) or a raised connection error."""

    name: str
    status: int = 0
    code: str = ""
    raises: type[Exception] | None = None

    def __str__(self) -> str:
        return self.name


THROTTLED = Fault("provisioned-throughput", 400, "ProvisionedThroughputExceededException")
THROTTLING = Fault("throttling", 400, "ThrottlingException")
INTERNAL = Fault("internal-server-error", 500, "InternalServerError")
UNREACHABLE = Fault("connection-refused", raises=EndpointConnectionError)
TIMED_OUT = Fault("read-timeout", raises=ReadTimeoutError)
DYNAMODB_ERRORS = (THROTTLED, THROTTLING, INTERNAL)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def error_response(url: str, fault: Fault) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{fault.code}", "message": "injected"}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected-fault"}
    return AWSResponse(url, fault.status, headers, _Body(body))


@dataclass
class Faults:
    """Fail attempts ``0..attempts-1`` of call number ``call`` (0-based) with ``fault``.

    ``attempts=1`` fails only the first try, so botocore's retry gets through; a large value
    fails every try, so the error reaches the application. A call of the same operation right
    after a failed one is the library retrying it (``Tx.commit``): it counts as the same call,
    its tries continuing the count."""

    fault: Fault | None = None
    call: int = -1
    attempts: int = 1
    operations: list[str] = field(default_factory=list)  # every API call seen, in order
    rate_limit: list[bool] = field(default_factory=list)  # whether each was the rate limiter's
    injected: list[str] = field(default_factory=list)  # the attempts that were answered with the fault
    _attempt: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_call(self, model: Any, params: Any = None, **_: Any) -> None:
        body = params.get("body", b"") if isinstance(params, dict) else b""
        body = body.encode() if isinstance(body, str) else bytes(body or b"")
        with self._lock:
            retry = (
                self.fault is not None
                and model.name in LIBRARY_RETRIED  # a next GetItem is another request, not a retry
                and len(self.operations) - 1 == self.call
                and self.operations[-1] == model.name
                and self._attempt > 0
                and len(self.injected) == self._attempt  # every try of the call so far failed
            )
            self.operations.append(model.name)
            self.rate_limit.append(b'"RATE#' in body)  # the per-caller counter, keyed RATE#...
            if retry:
                self.call = len(self.operations) - 1
            else:
                self._attempt = 0

    def on_send(self, request: Any, **_: Any) -> AWSResponse | None:
        with self._lock:
            index, attempt = len(self.operations) - 1, self._attempt
            self._attempt += 1
            if self.fault is None or index != self.call or attempt >= self.attempts:
                return None
            self.injected.append(f"{self.operations[index]}#{attempt}")
        if self.fault.raises is EndpointConnectionError:
            raise EndpointConnectionError(endpoint_url=request.url)
        if self.fault.raises is ReadTimeoutError:
            raise ReadTimeoutError(endpoint_url=request.url)
        return error_response(request.url, self.fault)


@contextmanager
def injected(client: Any, faults: Faults) -> Iterator[Faults]:
    """Attach ``faults`` to a botocore DynamoDB client for the block."""
    events = client.meta.events
    events.register("before-call.dynamodb", faults.on_call)
    events.register_first("before-send.dynamodb", faults.on_send)
    try:
        yield faults
    finally:
        events.unregister("before-call.dynamodb", faults.on_call)
        events.unregister("before-send.dynamodb", faults.on_send)


def no_backoff(monkeypatch: Any, library: bool = True) -> None:
    """Retry at once: the tests check what happens after retries, not how long botocore (or the
    library's own backoff) waits."""
    from botocore.retries.standard import ExponentialBackoff

    from dogcare.storage import retry

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    if library:
        monkeypatch.setattr(retry, "DEFAULT_BACKOFF", retry.NO_SLEEP)
    else:
        # The library's real pauses, but a wider time budget: on this shared test machine a
        # request through the fault layer takes a hundred times what it takes on DynamoDB, and
        # the tests count attempts (what the 1 s budget bounds is tested on its own).
        monkeypatch.setattr(retry, "DEFAULT_BACKOFF", replace(retry.DEFAULT_BACKOFF, budget=30.0))
