"""The functions of the API and the routes each serves: the one route table.

Routes are read from the functions' own resolvers, so the code is the source of truth;
the local gateway dispatches with this table and the template is checked against it.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Logical function name (as in template.yaml) -> handler module.
FUNCTIONS: dict[str, str] = {
    "OwnersFunction": "handlers.owners",
    "DogsFunction": "handlers.dogs",
    "BookingsFunction": "handlers.bookings",
    "PaymentsFunction": "handlers.payments",
    "AdminFunction": "handlers.admin",
}
AUTHORIZER_FUNCTION = ("AuthorizerFunction", "handlers.authorizer")
PUBLIC = frozenset({("POST", "/payments/webhook")})


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # API Gateway form: /dogs/{id}
    function: str
    module: str
    public: bool

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$")


def handler_module(name: str) -> Any:
    return importlib.import_module(name)


@lru_cache(maxsize=1)
def routes() -> tuple[RouteSpec, ...]:
    found: list[RouteSpec] = []
    for function, module_name in FUNCTIONS.items():
        module = handler_module(module_name)
        for key in module.router._routes:
            rule, methods = key[0], key[1]
            path = re.sub(r"<(\w+)>", r"{\1}", rule)
            for method in methods if isinstance(methods, tuple | list) else (methods,):
                found.append(RouteSpec(method.upper(), path, function, module_name, (method.upper(), path) in PUBLIC))
    return tuple(sorted(found, key=lambda r: (r.path, r.method)))


def match(method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
    """The route serving ``method path`` and its path parameters (static paths win)."""
    candidates = [r for r in routes() if r.method == method.upper()]
    for route in sorted(candidates, key=lambda r: "{" in r.path):
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def paths() -> set[str]:
    return {r.path for r in routes()}
