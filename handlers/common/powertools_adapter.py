"""What the handlers need from Powertools and Powertools offers no public API for: the only
module of handlers/ and dogcare/ that reaches into Powertools' internals, or around them
(tests/unit/api/test_powertools_private_access.py checks that no other module does).

- ``Resolver`` keeps the event and Lambda context per thread. Powertools keeps them as class
  attributes of ``BaseRouter``, shared by every resolver of the process.
- ``route_keys`` lists a router's routes. A ``Router`` exposes them only as ``_routes``; the
  public way, ``get_openapi_schema()``, builds every model's JSON schema first (about half a
  second for the five functions), too slow for a route table the local gateway and the tests
  read when they start.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, with the event being handled kept per thread.

    A Lambda process handles one event at a time, but the local gateway runs several functions'
    containers on threads of one process: with Powertools' class attributes, a request in flight
    could read another request's event, and act as that request's caller. The properties below
    shadow those attributes for this resolver and the routers it includes (a ``Router`` reads
    them through the resolver that included it).
    """

    _per_thread = threading.local()

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self._per_thread.event = APIGatewayProxyEvent(dict(event))
        self._per_thread.context = context
        result: dict[str, Any] = super().resolve(event, context)
        return result

    @property
    def current_event(self) -> Any:
        return self._per_thread.event

    @current_event.setter
    def current_event(self, value: Any) -> None:
        self._per_thread.event = value

    @property
    def lambda_context(self) -> Any:
        return self._per_thread.context

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value


def route_keys(router: Router) -> list[tuple[str, tuple[str, ...]]]:
    """Each route of ``router`` as its Powertools rule (``/dogs/<id>``) and its HTTP methods."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for key in router._routes:  # (rule, method or methods, cors, compress, ...): Router.route's arguments
        rule, methods = key[0], key[1]
        found.append((rule, tuple(methods) if isinstance(methods, tuple | list) else (methods,)))
    return found
