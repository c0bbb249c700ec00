"""``Idempotency-Key`` for POST routes, with Powertools Idempotency on DynamoDB.

A keyed POST's use case is a module-level function taking a :class:`KeyedRequest` as its
``request`` keyword argument (the caller, the key and the command) and returning its view
model; ``@idempotent_use_case(function, table)`` makes it idempotent per (caller, key) with
Powertools' ``idempotent_function`` and ``PydanticSerializer``: a replay with the same key
returns the first view (so the same status, body and ETag); the same key with a different
command is rejected with 422; a request still in flight with the key answers 409.

The record lives in the table of the function's entity, keyed ``IDEMPOTENCY#{function}#{shard}``
/ ``{use case}#{hash}``, and expires by TTL after 24 hours. The shard (one of ``keys.IDEMPOTENCY_SHARDS``)
is a hash of caller and key, so a function's keyed POSTs spread over that many partitions
instead of all writing one; each shard is its own Powertools persistence layer with its own
documented ``static_pk_value`` (a replay hashes to the same shard, so it finds its record).
That is why ``idempotent_function`` is applied to the use case once per shard, when a shard is
first used, rather than where the use case is defined; it is also why Powertools and boto3 are
imported only when a request carries a key, which keeps the cold start of key-less requests small.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from dogcare.domain.actor import Actor
from dogcare.errors import Conflict, FieldError, ValidationFailed
from dogcare.settings import get_settings
from dogcare.storage import keys
from dogcare.storage.layout import LogicalTable, TableLayout

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")
EXPIRES_AFTER_SECONDS = 24 * 3600

Command = TypeVar("Command", bound=BaseModel)
View = TypeVar("View", bound=BaseModel)
View_co = TypeVar("View_co", bound=BaseModel, covariant=True)


class KeyedRequest(BaseModel, Generic[Command]):
    """The input of a keyed use case: who asks, under which key, for what. A record belongs to
    the person (``actor.subject``) and the key; its payload check compares the command."""

    actor: Actor
    key: str | None
    command: Command


class KeyReused(ValidationFailed):
    kind = "idempotency-key-reused"
    title = "Idempotency key reused"


class KeyInFlight(Conflict):
    kind = "idempotency-key-in-flight"
    title = "Request in progress"


class IdempotentUseCase(Protocol[View_co]):
    """A use case made idempotent: called with its request and the invocation's Lambda context."""

    def __call__(self, *, request: KeyedRequest[Any], lambda_context: Any) -> View_co: ...


def idempotent_use_case(
    function_name: str, logical: LogicalTable
) -> Callable[[Callable[..., View]], IdempotentUseCase[View]]:
    """Make a use case idempotent per (caller, key), its records in ``logical``'s table under
    ``IDEMPOTENCY#{function_name}#…``. A request without a key runs the use case as it is."""

    def decorate(use_case: Callable[..., View]) -> IdempotentUseCase[View]:
        @wraps(use_case)
        def run(*, request: KeyedRequest[Any], lambda_context: Any) -> View:
            if request.key is None:
                return use_case(request=request)
            if not _KEY.match(request.key):
                raise ValidationFailed.field("header.Idempotency-Key", "8 to 128 characters of A-Z a-z 0-9 . _ : -")
            from aws_lambda_powertools.utilities.idempotency.exceptions import (
                IdempotencyAlreadyInProgressError,
                IdempotencyValidationError,
            )

            shard = keys.idempotency_shard(request.actor.owner_id, request.key)
            once, config = _idempotent_in_shard(use_case, function_name, logical, shard)
            if lambda_context is not None:
                # The in-flight record expires with the invocation, so a timed-out one frees its key.
                config.register_lambda_context(lambda_context)
            try:
                view: View = once(request=request)  # typed here: ``cache`` hides the signature
                return view
            except IdempotencyValidationError as exc:
                message = "this Idempotency-Key was used with a different request body"
                raise KeyReused(message, [FieldError("header.Idempotency-Key", message, "reused")]) from exc
            except IdempotencyAlreadyInProgressError as exc:
                raise KeyInFlight("a request with this Idempotency-Key is still in progress; retry shortly") from exc

        return run

    return decorate


@cache
def _client() -> Any:
    import boto3

    settings = get_settings()
    return boto3.client("dynamodb", endpoint_url=settings.dynamodb_endpoint, region_name=settings.region)


@cache
def _idempotent_in_shard(
    use_case: Callable[..., View], function_name: str, logical: LogicalTable, shard: int
) -> tuple[Callable[..., View], Any]:
    """``use_case`` under Powertools' ``idempotent_function``, its records in one shard, and
    the configuration the invocation's Lambda context is registered with."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

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
        event_key_jmespath="[actor.subject, key]",
        payload_validation_jmespath="command",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
    )
    # The view model named explicitly: the handler modules' annotations are strings
    # (``from __future__ import annotations``), which Powertools would not resolve itself.
    serializer = PydanticSerializer(model=typing.get_type_hints(use_case)["return"])
    once = idempotent_function(
        use_case,
        data_keyword_argument="request",
        persistence_store=layer,
        config=config,
        output_serializer=serializer,
        # Records named by the use case alone (``book#{hash}``), not by Powertools' default of
        # function and module name: the local gateway runs a copy of the handler module per
        # container (``handlers.bookings__container1``), and a replay must find its record
        # from any of them.
        key_prefix=use_case.__qualname__,
    )
    return once, config


def reset() -> None:
    _idempotent_in_shard.cache_clear()
    _client.cache_clear()
