"""The Lambda handlers.

Importing this package first makes two Powertools packages lazy: ``event_handler``, whose
``__init__`` imports every resolver Powertools has (AppSync with asyncio, Bedrock, VPC Lattice,
...), and ``utilities.data_classes``, whose ``__init__`` imports the event classes of some forty
AWS services. Python runs a package's ``__init__`` even when only a submodule is imported, so
``from aws_lambda_powertools.event_handler.api_gateway import Router`` alone would still pay for
all of them: about 25 ms and 8 ms of every API function's cold start (docs/performance.md).

A lazy package is the real package's module object before its ``__init__`` has run. A name the
``__init__`` re-exports (read from its source: ``from .api_gateway import Response``) is served
from the submodule it comes from, the very object the ``__init__`` would have bound; a
submodule imports as usual; any other name runs the real ``__init__`` first, so every
documented import keeps working, only later.

In a Lambda runtime it also holds the garbage collector back until the function's first
request has been served (``handlers.gc_pause``).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys

from handlers import gc_pause

gc_pause.hold()  # first: every import below, and the first request, run without collections

LAZY_PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")


def reexports(package: str) -> dict[str, str]:
    """The names ``package``'s ``__init__`` imports from its own submodules, and from which."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return {}
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    names: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.module is None:
            continue
        module = node.module if node.level == 0 else f"{package}.{node.module}"
        if module.startswith(package + "."):
            for alias in node.names:
                names[alias.asname or alias.name] = module
    return names


def _make_lazy(package: str) -> None:
    if package in sys.modules:
        return  # already imported (really, or lazily): nothing left to defer
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        return  # Powertools not installed (the route table read by build checks): nothing to defer
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    served = reexports(package)
    loader = spec.loader
    loaded = False

    def __getattr__(name: str) -> object:
        nonlocal loaded
        if name in served:
            return getattr(importlib.import_module(served[name]), name)
        if not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
            return importlib.import_module(f"{package}.{name}")
        if not loaded:
            loaded = True
            loader.exec_module(module)  # the real __init__, in this module object: all its names
            if name in module.__dict__:
                return module.__dict__[name]
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[package] = module


for _package in LAZY_PACKAGES:
    _make_lazy(_package)
