"""The lazy Powertools packages that ``handlers`` installs serve the very objects the real
packages bind, load nothing else until asked, and every documented name still imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from handlers import LAZY_PACKAGES, reexports

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import importlib, json, sys
import handlers
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
early = {"Response": Response, "APIGatewayRestResolver": APIGatewayRestResolver,
    "APIGatewayProxyEvent": APIGatewayProxyEvent}
report = {"lazy": {}, "same": {}, "all": {}}
report["unloaded_before"] = [m for m in ("aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.utilities.data_classes.sqs_event") if m in sys.modules]
for package in handlers.LAZY_PACKAGES:
    report["lazy"][package] = "__all__" not in sys.modules[package].__dict__
for package in handlers.LAZY_PACKAGES:
    module = sys.modules[package]
    names = module.__all__  # a name it does not serve itself: the real __init__ runs
    real = module.__dict__
    report["same"][package] = all(
        real[n] is getattr(importlib.import_module(m), n) for n, m in handlers.reexports(package).items()
    ) and all(real[n] is obj for n, obj in early.items() if n in real)
    report["all"][package] = all(hasattr(module, n) for n in names)
try:
    from aws_lambda_powertools.event_handler import NoSuchName
    report["unknown"] = "imported"
except ImportError:
    report["unknown"] = "ImportError"
print(json.dumps(report))
"""


def test_the_packages_reexports_are_read_from_their_init() -> None:
    event_handler, data_classes = (reexports(p) for p in LAZY_PACKAGES)
    assert event_handler["Response"] == "aws_lambda_powertools.event_handler.api_gateway"
    assert event_handler["AppSyncResolver"] == "aws_lambda_powertools.event_handler.appsync"
    assert data_classes["APIGatewayProxyEvent"].endswith(".api_gateway_proxy_event")


def test_the_lazy_packages_serve_the_real_objects_and_load_the_rest_on_demand() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {
        "lazy": dict.fromkeys(LAZY_PACKAGES, True),
        "unloaded_before": [],
        "same": dict.fromkeys(LAZY_PACKAGES, True),
        "all": dict.fromkeys(LAZY_PACKAGES, True),
        "unknown": "ImportError",
    }
