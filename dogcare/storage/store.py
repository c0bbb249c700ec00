"""The storage handle: model classes, one shared DynamoDB connection, error translation.

A ``Store`` is built once per process from ``Settings`` (lazily, on first use), so that a
Lambda container pays for one botocore client, and tests can build as many as they like
(e.g. one per table layout) pointing at moto.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.models import Model

from dogcare.errors import StorageUnavailable
from dogcare.settings import Settings
from dogcare.storage.declarations import SCHEMA
from dogcare.storage.entities import ModelSet, build_models
from dogcare.storage.layout import TableLayout
from dogcare.storage.schema import Schema

# DynamoDB answers that mean "not now": nothing was written and the caller may retry.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
TRANSIENT_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "InternalServerError"})


class Store:
    def __init__(self, settings: Settings, schema: Schema = SCHEMA) -> None:
        """``schema``: the entities stored (a library user's own extend dogcare's)."""
        self.settings = settings
        self.layout = TableLayout(settings.table_layout, settings.table_prefix)
        self.models: ModelSet = build_models(self.layout, settings.dynamodb_endpoint, settings.region, schema)
        self._lock = threading.Lock()
        self._shared = False

    @cached_property
    def connection(self) -> Connection:
        """One connection (one botocore client) shared by every model of this store.

        PynamoDB configures botocore's ``standard`` retry mode with 4 attempts in all. botocore
        then retries, on its own and with the same serialized request (so the same
        ``ClientRequestToken`` for a transaction): throttling (``ThrottlingException``,
        ``ProvisionedThroughputExceededException``, ``RequestLimitExceeded`` and
        ``TransactionInProgressException``; full-jitter backoff on a 1 s base), 5xx answers
        (25 ms base for DynamoDB), and connection errors and read timeouts. A retry quota
        (500 units, 5 per retry, 10 per timeout) stops retry storms when DynamoDB is down.
        It never retries a cancelled transaction, whatever its reasons, nor unprocessed keys:
        ``Tx.commit`` and ``dogcare.storage.batch`` do those. So a single-item conditional write
        (``save``/``update`` with a condition) or a GetItem/Query is retried by botocore alone,
        then mapped to ``StorageUnavailable`` by ``storage_errors``.
        """
        return Connection(
            region=self.settings.region,
            host=self.settings.dynamodb_endpoint,
            max_retry_attempts=3,
            connect_timeout_seconds=2,
            read_timeout_seconds=5,
        )

    def share_connection(self) -> None:
        # PynamoDB gives each model class its own connection and botocore session; pointing
        # them all at one saves a client (and its service-model load) per entity on cold start.
        with self._lock:
            if self._shared:
                return
            for cls in self._all_models():
                table_connection = cls._get_connection()
                meta = table_connection.get_meta_table()
                table_connection.connection = self.connection
                if meta.table_name not in self.connection._tables:
                    self.connection.add_meta_table(meta)
            self._shared = True

    def _all_models(self) -> list[type[Model]]:
        return [value for value in vars(self.models).values() if isinstance(value, type)]

    @property
    def client(self) -> Any:
        """The botocore DynamoDB client (for event hooks and raw calls)."""
        self.share_connection()
        return self.connection.client

    def on_request(self, handler: Callable[..., None]) -> Callable[[], None]:
        """Call ``handler(model=..., params=...)`` before every DynamoDB request. Returns an undo."""
        events = self.client.meta.events
        events.register("before-call.dynamodb", handler)
        return lambda: events.unregister("before-call.dynamodb", handler)


# Failures on the way to DynamoDB or back (refused, reset or timed-out connections).
NETWORK_ERRORS = (HTTPClientError, BotocoreConnectionError)


def response_code(exc: BaseException) -> str | None:
    """The DynamoDB error code behind ``exc``. (PynamoDB's own ``cause_response_code`` fails
    on a cause without a response, such as a read timeout.)"""
    cause = exc.cause if isinstance(exc, PynamoDBException) else exc
    response = getattr(cause, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code) if code is not None else None


def is_transient(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is DynamoDB saying "not now":
    throttling, an internal error, or no answer at all. botocore has already retried it."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, NETWORK_ERRORS):
            return True
        if isinstance(exc, ClientError) and response_code(exc) in TRANSIENT_CODES:
            return True
        if isinstance(exc, PynamoDBException):
            if response_code(exc) in TRANSIENT_CODES or isinstance(exc.cause, NETWORK_ERRORS):
                return True
            if isinstance(exc, TransactWriteError):
                # Busy, not refused: no ConditionalCheckFailed, and every reason a "not now".
                reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
                if response_code(exc) == "TransactionInProgressException" or (
                    reasons and all(reason in (*TRANSIENT_REASONS, "TransactionConflict") for reason in reasons)
                ):
                    return True
        exc = exc.__cause__
        seen += 1
    return False


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn DynamoDB's transient failures into ``StorageUnavailable`` (a clean 503).

    A transaction cancelled only for ``TransactionConflict`` is transient too: another
    request was touching the same item, not a rule of the caller's (``Tx.commit`` retries
    those before it gets here). Only a ``ConditionalCheckFailed`` is the caller's business.
    """
    try:
        yield
    except TransactWriteError as exc:
        if isinstance(exc.cause, NETWORK_ERRORS):
            # No answer: the transaction may or may not have been applied (botocore's retries
            # reuse its ClientRequestToken, so they could not apply it twice).
            raise StorageUnavailable("the database did not answer; please retry") from exc
        reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
        code = response_code(exc)
        if "ConditionalCheckFailed" in reasons:
            raise
        if (
            code in TRANSIENT_CODES
            or code == "TransactionInProgressException"
            or (reasons and all(reason in (*TRANSIENT_REASONS, "TransactionConflict") for reason in reasons))
        ):
            raise StorageUnavailable("the database is busy; nothing was written, please retry") from exc
        raise
    except (PynamoDBException, ClientError, *NETWORK_ERRORS) as exc:
        # ClientError and network errors: requests sent with the raw botocore client.
        if is_transient(exc):
            raise StorageUnavailable("the database is busy or did not answer; please retry") from exc
        raise
