"""A DynamoDB that fails the way real DynamoDB does under load: an HTTP proxy in front of moto.

moto never cancels a transaction for ``TransactionConflict`` or throttling, never answers
``TransactionInProgressException``, leaves keys unprocessed only above 16 MB, updates GSIs
synchronously and never loses an answer after applying a write. ``FaultProxy`` sits between
botocore and moto's server and does all of these, at rates chosen per operation type and
reproducibly from a seed. It injects on the wire, not in botocore's ``before-send`` hook:
a faked answer there still lets in-process moto apply the request, and here a fault that
must not write (a cancellation, a throttle, a partial batch) never reaches moto at all.

It also keeps DynamoDB's ``ClientRequestToken`` promise, which moto ignores: a
``TransactWriteItems`` replayed with the same token (within ``token_window`` seconds) gets
the first success back without being applied again; the same token with other actions is
``IdempotentParameterMismatchException``.

Usage::

    proxy = FaultProxy(upstream="http://127.0.0.1:PORT", seed=7)
    proxy.start()
    proxy.configure(rates={"TransactWriteItems": {CONFLICT: 0.3}, "BatchGetItem": {PARTIAL: 0.5}})
    ...  # point Settings.dynamodb_endpoint at proxy.endpoint
    proxy.injected  # Counter: {"TransactWriteItems:conflict": 12, ...}

Fault kinds (the keys of a rate table; ``"*"`` as an operation applies to every operation):

``conflict``     TransactWriteItems cancelled, one action's reason ``TransactionConflict``.
``throttled``    TransactWriteItems cancelled, one action's reason ``ThrottlingError``.
``in_progress``  TransactWriteItems applied, but answered ``TransactionInProgressException``
                 (what a retry sees while the first send with its token is still running).
``throughput``   ``ProvisionedThroughputExceededException`` (nothing applied).
``throttling``   ``ThrottlingException`` (nothing applied).
``partial``      BatchGetItem / BatchWriteItem: some keys or writes left in ``UnprocessedKeys`` /
                 ``UnprocessedItems`` (only the rest reaches moto). When nothing would be left to
                 process, DynamoDB answers ``ProvisionedThroughputExceededException``, and so do we.
``lost``         the request is applied, then the connection is closed without an answer.

GSI lag (``gsi_lag=N``): an item written through the proxy stays invisible to Query on an
index until N more requests have passed (a changed item disappears rather than showing its
old image: enough to catch a read-after-write that relies on an index).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

CONFLICT = "conflict"
THROTTLED = "throttled"
IN_PROGRESS = "in_progress"
THROUGHPUT = "throughput"
THROTTLING = "throttling"
PARTIAL = "partial"
LOST = "lost"
KINDS = (CONFLICT, THROTTLED, IN_PROGRESS, THROUGHPUT, THROTTLING, PARTIAL, LOST)
# Which operations each kind can hit (a rate for any other operation is ignored).
APPLIES_TO: dict[str, frozenset[str] | None] = {
    CONFLICT: frozenset({"TransactWriteItems"}),
    THROTTLED: frozenset({"TransactWriteItems"}),
    IN_PROGRESS: frozenset({"TransactWriteItems"}),
    PARTIAL: frozenset({"BatchGetItem", "BatchWriteItem"}),
    THROUGHPUT: None,
    THROTTLING: None,
    LOST: None,
}
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
PREFIX = "com.amazonaws.dynamodb.v20120810#"
KEY_ATTRS = ("pk", "sk")  # the project's generic key names, in every table

Rates = Mapping[str, Mapping[str, float]]


def error_body(code: str, message: str, **extra: Any) -> bytes:
    return json.dumps({"__type": PREFIX + code, "message": message, **extra}).encode()


def cancellation_body(actions: int, culprit: int, reason: str) -> bytes:
    """DynamoDB's cancellation: one reason per action, in request order."""
    messages = {
        "TransactionConflict": "Transaction is ongoing for the item",
        "ThrottlingError": "Throughput exceeds the current capacity of your table or index.",
    }
    reasons: list[dict[str, str]] = [{"Code": "None"} for _ in range(actions)]
    reasons[culprit] = {"Code": reason, "Message": messages[reason]}
    listed = ", ".join(r["Code"] for r in reasons)
    return json.dumps(
        {
            "__type": PREFIX + "TransactionCanceledException",
            "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{listed}]",
            "CancellationReasons": reasons,
        }
    ).encode()


class _Answer:
    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


class FaultProxy:
    """The proxy. Thread-safe; ``configure`` between tests, ``injected`` to see what it did."""

    def __init__(
        self, upstream: str, *, seed: int = 0, rates: Rates | None = None, gsi_lag: int = 0, token_window: float = 600.0
    ) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._lock = threading.Lock()
        self._local = threading.local()
        self.token_window = token_window
        self._tokens: dict[str, tuple[float, str, _Answer]] = {}
        self._server: ThreadingHTTPServer | None = None
        self.configure(seed=seed, rates=rates or {}, gsi_lag=gsi_lag)

    # --- configuration and what happened ------------------------------------------------

    def configure(
        self, *, seed: int = 0, rates: Rates | None = None, gsi_lag: int = 0, limit: Mapping[str, int] | None = None
    ) -> FaultProxy:
        """New rates (fractions 0..1 per operation and kind), a new seed; counters start again.

        ``limit`` caps how often a fault is injected (``{"TransactWriteItems:lost": 1}``: only the
        first answer is lost), for tests that need "fails N times, then works"."""
        for table in (rates or {}).values():
            unknown = set(table) - set(KINDS)
            if unknown:
                raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {KINDS}")
            if sum(table.values()) > 1.0 + 1e-9:
                raise ValueError("the rates of one operation add up to more than 1")
        with self._lock:
            self.seed = seed
            self.rates = {op: dict(table) for op, table in (rates or {}).items()}
            self.gsi_lag = gsi_lag
            self.limit = dict(limit or {})
            self._random: dict[str, random.Random] = {}
            self.requests: Counter[str] = Counter()  # every request seen, by operation
            self.injected: Counter[str] = Counter()  # "Operation:kind" -> how many
            self.replayed = 0  # TransactWriteItems answered from a token without re-applying
            self._seq = 0
            self._recent: dict[tuple[str, str, str], int] = {}  # item key -> visible to indexes after
        return self

    def off(self) -> FaultProxy:
        return self.configure(seed=self.seed)

    def total_injected(self, kind: str | None = None) -> int:
        return sum(n for name, n in self.injected.items() if kind is None or name.endswith(f":{kind}"))

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() the proxy first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

            def do_POST(self) -> None:  # http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = proxy._handle(dict(self.headers.items()), body)
                if answer is None:  # a lost response: applied, never answered
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="dynamodb-fault-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- one request ---------------------------------------------------------------------

    def _choose(self, operation: str) -> str | None:
        """The fault for this request, drawn from the operation's own seeded stream."""
        table = {**self.rates.get("*", {}), **self.rates.get(operation, {})}
        table = {
            k: r
            for k, r in table.items()
            if (APPLIES_TO[k] is None or operation in APPLIES_TO[k])
            and r > 0
            and self.injected[f"{operation}:{k}"] < self.limit.get(f"{operation}:{k}", 1 << 62)
        }
        if not table:
            return None
        rng = self._random.setdefault(operation, random.Random(f"{self.seed}:{operation}"))
        draw, total = rng.random(), 0.0
        for kind in KINDS:  # a fixed order, so a seed always means the same faults
            total += table.get(kind, 0.0)
            if kind in table and draw < total:
                return kind
        return None

    def _handle(self, headers: dict[str, str], body: bytes) -> _Answer | None:
        operation = headers.get("X-Amz-Target", "").rpartition(".")[2]
        payload: dict[str, Any] = json.loads(body or b"{}")
        with self._lock:
            self._seq += 1
            self.requests[operation] += 1
            kind = self._choose(operation)
            rng = self._random.get(operation)
            if kind is not None:
                self.injected[f"{operation}:{kind}"] += 1
        token = payload.get("ClientRequestToken") if operation == "TransactWriteItems" else None
        if token:
            replay = self._replay(token, payload)
            if replay is not None:
                if kind == LOST:  # the network loses a replay's answer as easily as the first
                    return None
                if kind is not None:  # a replay is answered from the token: nothing else to inject
                    self._uncount(operation, kind)
                return replay
        if kind is None:
            return self._forward(operation, headers, body, payload, token)
        assert rng is not None
        if kind in (CONFLICT, THROTTLED):
            actions = len(payload.get("TransactItems", []))
            reason = "TransactionConflict" if kind == CONFLICT else "ThrottlingError"
            return _Answer(400, cancellation_body(actions, rng.randrange(actions), reason), _json_headers())
        if kind == THROUGHPUT:
            return _throughput()
        if kind == THROTTLING:
            return _Answer(400, error_body("ThrottlingException", "Rate of requests exceeds the allowed throughput."))
        if kind == IN_PROGRESS:
            self._forward(operation, headers, body, payload, token)
            return _Answer(
                400,
                error_body("TransactionInProgressException", "Transaction is already in progress for this token"),
                _json_headers(),
            )
        if kind == LOST:
            self._forward(operation, headers, body, payload, token)
            return None
        return self._partial(operation, headers, payload, rng)

    def _uncount(self, operation: str, kind: str) -> None:
        with self._lock:
            self.injected[f"{operation}:{kind}"] -= 1
            self.injected += Counter()  # drop a zero count

    def _replay(self, token: str, payload: dict[str, Any]) -> _Answer | None:
        digest = _digest(payload)
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None or time.monotonic() - entry[0] > self.token_window:
                return None
            if entry[1] != digest:
                return _Answer(
                    400,
                    error_body("IdempotentParameterMismatchException", "the token was used with other parameters"),
                    _json_headers(),
                )
            self.replayed += 1
            return entry[2]

    def _partial(self, operation: str, headers: dict[str, str], payload: dict[str, Any], rng: random.Random) -> _Answer:
        field, left_key = ("Keys", "UnprocessedKeys") if operation == "BatchGetItem" else (None, "UnprocessedItems")
        entries = [
            (table, entry)
            for table, spec in payload.get("RequestItems", {}).items()
            for entry in (spec[field] if field else spec)
        ]
        if len(entries) < 2:
            return _throughput()  # DynamoDB: nothing processable is a throughput error, not a partial
        left = set(rng.sample(range(len(entries)), rng.randint(1, len(entries) - 1)))
        send: dict[str, Any] = {}
        keep: dict[str, Any] = {}
        for i, (table, entry) in enumerate(entries):
            target = keep if i in left else send
            if field:
                spec = payload["RequestItems"][table]
                target.setdefault(table, {**{k: v for k, v in spec.items() if k != field}, field: []})[field].append(
                    entry
                )
            else:
                target.setdefault(table, []).append(entry)
        forwarded = {**payload, "RequestItems": send}
        answer = self._forward(operation, headers, json.dumps(forwarded).encode(), forwarded, None)
        if answer is None or answer.status != 200:
            return answer or _throughput()
        result = json.loads(answer.body)
        result[left_key] = keep
        return _Answer(200, json.dumps(result).encode(), _json_headers())

    def _forward(
        self, operation: str, headers: dict[str, str], body: bytes, payload: dict[str, Any], token: str | None
    ) -> _Answer:
        connection = getattr(self._local, "upstream", None)
        if connection is None:
            connection = self._local.upstream = http.client.HTTPConnection(*self._upstream, timeout=30)
        sent = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "host", "connection")}
        try:
            connection.request("POST", "/", body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            self._local.upstream = None
            raise
        answer = _Answer(response.status, data, _json_headers())
        if response.status == 200:
            if token:
                with self._lock:
                    self._tokens[token] = (time.monotonic(), _digest(payload), answer)
            if operation in WRITES:
                self._remember_writes(operation, payload)
            elif operation == "Query" and payload.get("IndexName") and self.gsi_lag:
                answer = self._lagging(payload["TableName"], answer)
        return answer

    # --- GSI lag ---------------------------------------------------------------------------

    def _remember_writes(self, operation: str, payload: dict[str, Any]) -> None:
        if not self.gsi_lag:
            return
        written: list[tuple[str, dict[str, Any]]] = []
        if operation in ("PutItem",):
            written.append((payload["TableName"], payload["Item"]))
        elif operation in ("UpdateItem", "DeleteItem"):
            written.append((payload["TableName"], payload["Key"]))
        elif operation == "TransactWriteItems":
            for action in payload.get("TransactItems", []):
                for name, spec in action.items():
                    if name != "ConditionCheck":
                        written.append((spec["TableName"], spec.get("Item") or spec["Key"]))
        else:
            for table, requests in payload.get("RequestItems", {}).items():
                for request in requests:
                    spec = request.get("PutRequest") or request.get("DeleteRequest") or {}
                    written.append((table, spec.get("Item") or spec.get("Key") or {}))
        with self._lock:
            for table, item in written:
                self._recent[_key(table, item)] = self._seq + self.gsi_lag

    def _lagging(self, table: str, answer: _Answer) -> _Answer:
        result = json.loads(answer.body)
        with self._lock:
            now = self._seq
            visible = [i for i in result.get("Items", []) if self._recent.get(_key(table, i), 0) <= now]
            hidden = len(result.get("Items", [])) - len(visible)
            if hidden:
                self.injected["Query:gsi_lag"] += hidden
        if not hidden:
            return answer
        result["Items"], result["Count"] = visible, len(visible)
        return _Answer(200, json.dumps(result).encode(), _json_headers())


def _key(table: str, item: Mapping[str, Any]) -> tuple[str, str, str]:
    pk, sk = (item.get(name, {}).get("S", "") for name in KEY_ATTRS)
    return (table, pk, sk)


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload.get("TransactItems"), sort_keys=True).encode()).hexdigest()


def _json_headers() -> dict[str, str]:
    return {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault-proxy"}


def _throughput() -> _Answer:
    message = "The level of configured provisioned throughput for the table was exceeded."
    return _Answer(400, error_body("ProvisionedThroughputExceededException", message), _json_headers())
