"""``Idempotency-Key`` for POST routes, with Powertools Idempotency on DynamoDB.

A replay with the same key (and the same caller) returns the first response; the same
key with a different body is rejected with 422; a request still in flight with the key
answers 409. The record lives in the table of the function's entity, keyed
``IDEMPOTENCY#{function}#{shard}`` / ``{hash}``, and expires by TTL. The shard (one of
``keys.IDEMPOTENCY_SHARDS``) is a hash of caller and key, so a function's keyed POSTs spread
over that many partitions instead of all writing one; each shard is its own Powertools
persistence layer with its own documented ``static_pk_value`` (a replay hashes to the same
shard, so it finds its record).

Powertools and boto3 are imported only when a request carries a key, to keep the
cold start of key-less requests small.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from dogcare.errors import Conflict, FieldError, ValidationFailed
from dogcare.settings import get_settings
from dogcare.storage import keys
from dogcare.storage.layout import LogicalTable, TableLayout

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")
EXPIRES_AFTER_SECONDS = 24 * 3600

_compute: contextvars.ContextVar[Callable[[], dict[str, Any]]] = contextvars.ContextVar("idempotent_compute")
lambda_context: contextvars.ContextVar[Any] = contextvars.ContextVar("lambda_context", default=None)


class KeyReused(ValidationFailed):
    kind = "idempotency-key-reused"
    title = "Idempotency key reused"


class KeyInFlight(Conflict):
    kind = "idempotency-key-in-flight"
    title = "Request in progress"


@cache
def _client() -> Any:
    import boto3

    settings = get_settings()
    return boto3.client("dynamodb", endpoint_url=settings.dynamodb_endpoint, region_name=settings.region)


@cache
def _runner(function_name: str, logical: LogicalTable, shard: int) -> tuple[Callable[..., dict[str, Any]], Any]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    settings = get_settings()
    table = TableLayout(settings.table_layout, settings.table_prefix).table_name(logical)
    layer = DynamoDBPersistenceLayer(
        table_name=table,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=keys.idempotency_pk(function_name, shard),
        boto3_client=_client(),
    )
    config = IdempotencyConfig(
        event_key_jmespath="[owner, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=layer, config=config)
    def run(request: dict[str, Any]) -> dict[str, Any]:
        return _compute.get()()

    return run, config


def idempotent(
    function_name: str,
    logical: LogicalTable,
    owner_id: str,
    key: str | None,
    body: dict[str, Any],
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``compute`` once per (caller, key); later calls get its first result back."""
    if key is None:
        return compute()
    if not _KEY.match(key):
        raise ValidationFailed.field("header.Idempotency-Key", "8 to 128 characters of A-Z a-z 0-9 . _ : -")
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    run, config = _runner(function_name, logical, keys.idempotency_shard(owner_id, key))
    context = lambda_context.get()
    if context is not None:
        config.register_lambda_context(context)
    token = _compute.set(compute)
    try:
        return run(request={"owner": owner_id, "key": key, "body": body})
    except IdempotencyValidationError as exc:
        message = "this Idempotency-Key was used with a different request body"
        raise KeyReused(message, [FieldError("header.Idempotency-Key", message, "reused")]) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise KeyInFlight("a request with this Idempotency-Key is still in progress; retry shortly") from exc
    finally:
        _compute.reset(token)


def reset() -> None:
    _runner.cache_clear()
    _client.cache_clear()
