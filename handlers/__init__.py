"""The Lambda handlers.

Importing this package makes ``aws_lambda_powertools.event_handler`` a lazy package before any
handler imports from it. Its ``__init__`` imports every resolver Powertools has (AppSync with
asyncio, Bedrock, VPC Lattice, ...), and Python runs a package's ``__init__`` even when only a
submodule is imported, so ``from aws_lambda_powertools.event_handler.api_gateway import Router``
alone would still pay for all of them (about 25 ms of every API function's cold start, measured
in docs/performance.md). The lazy package serves the REST names (``Response``, ``CORSConfig``,
``APIGatewayRestResolver``, ...) from ``api_gateway``, the very objects the real ``__init__``
re-exports, imports submodules as usual, and runs the real ``__init__`` the first time any other
name is asked for, so every documented import keeps working.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

_EVENT_HANDLER = "aws_lambda_powertools.event_handler"
# The names the package's __init__ takes from its api_gateway module (tests/unit checks the list
# against the real __init__, so a Powertools upgrade that changes it fails there, not in AWS).
REST_NAMES = frozenset(
    {"ALBResolver", "APIGatewayHttpResolver", "ApiGatewayResolver", "APIGatewayRestResolver", "CORSConfig", "Response"}
)


def _install_lazy_event_handler() -> None:
    if _EVENT_HANDLER in sys.modules:
        return  # already imported (the real package or this one): nothing to defer
    spec = importlib.util.find_spec(_EVENT_HANDLER)
    if spec is None or spec.loader is None:
        return
    package = importlib.util.module_from_spec(spec)
    loaded = False

    def __getattr__(name: str) -> object:
        nonlocal loaded
        if name.startswith("__"):
            raise AttributeError(name)
        if name in REST_NAMES:
            return getattr(importlib.import_module(f"{_EVENT_HANDLER}.api_gateway"), name)
        if importlib.util.find_spec(f"{_EVENT_HANDLER}.{name}") is not None:
            return importlib.import_module(f"{_EVENT_HANDLER}.{name}")
        if not loaded:
            loaded = True
            assert spec.loader is not None
            spec.loader.exec_module(package)  # the real __init__, in this module: all its names
            if name in package.__dict__:
                return package.__dict__[name]
        raise AttributeError(f"module {_EVENT_HANDLER!r} has no attribute {name!r}")

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[_EVENT_HANDLER] = package


_install_lazy_event_handler()
