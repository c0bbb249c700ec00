"""The lazy ``aws_lambda_powertools.event_handler`` package that ``handlers`` installs serves the
same objects the real package does, and every documented name still imports."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from handlers import REST_NAMES

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json, sys
import handlers
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler import api_gateway, content_types
lazy = {
    "same": APIGatewayRestResolver is api_gateway.APIGatewayRestResolver and Response is api_gateway.Response
        and CORSConfig is api_gateway.CORSConfig,
    "submodule": content_types.APPLICATION_JSON == "application/json",
    "appsync_before": "aws_lambda_powertools.event_handler.appsync" in sys.modules,
}
import aws_lambda_powertools.event_handler as package
from aws_lambda_powertools.event_handler import AppSyncResolver  # any other name: the real __init__ runs
lazy["appsync_after"] = "aws_lambda_powertools.event_handler.appsync" in sys.modules
lazy["all"] = all(hasattr(package, name) for name in package.__all__)
lazy["still_same"] = package.Response is api_gateway.Response
try:
    from aws_lambda_powertools.event_handler import NoSuchName
    lazy["unknown"] = "imported"
except ImportError:
    lazy["unknown"] = "ImportError"
print(json.dumps(lazy))
"""


def test_rest_names_are_the_ones_the_real_init_takes_from_api_gateway() -> None:
    spec = importlib.util.find_spec("aws_lambda_powertools.event_handler")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    from_api_gateway = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "aws_lambda_powertools.event_handler.api_gateway"
        for alias in node.names
    }
    assert from_api_gateway == REST_NAMES


def test_the_lazy_package_serves_the_real_objects_and_loads_the_rest_on_demand() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "same": True,
        "submodule": True,
        "appsync_before": False,
        "appsync_after": True,
        "all": True,
        "still_same": True,
        "unknown": "ImportError",
    }
