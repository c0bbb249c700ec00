"""Package namespaces that import their names on first use (PEP 562).

``import dogcare`` (or ``dogcare.auth``, ``dogcare.domain``, ``dogcare.testing``) must stay
cheap: a Lambda function pays at cold start for every module a package ``__init__`` imports.
Each of those packages lists its public names and the module each lives in; this builds the
module ``__getattr__`` that imports one on first access and keeps it in the package namespace.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``exports`` maps a name to its module."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later accesses are plain lookups
        return value

    return __getattr__
