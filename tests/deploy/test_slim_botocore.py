"""deploy/slim_botocore.py: the layer's trimmed endpoint data resolves every endpoint as
botocore's own does, for the services our functions call and for the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
try:
    import slim_botocore
finally:
    sys.path.remove(str(ROOT / "deploy"))

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1", "eu-isoe-west-1")
# Services the functions do not call: they resolve from their endpoint rule sets all the same.
OTHERS = ("lambda", "sqs", "kms", "xray", "events")
RESOLVE = r"""
import json, sys
import botocore.session
resolved = {}
for service in sys.argv[1].split(","):
    for region in sys.argv[2].split(","):
        client = botocore.session.get_session().create_client(
            service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y"
        )
        resolved[f"{service} {region}"] = [client.meta.endpoint_url, client.meta.region_name, client.meta.partition]
print(json.dumps({"botocore": botocore.__file__, "resolved": resolved}))
"""


def _resolve(services: tuple[str, ...], path: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(path) if path else ""
    done = subprocess.run(
        [sys.executable, "-c", RESOLVE, ",".join(services), ",".join(REGIONS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def slimmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return slim_botocore.slimmed_copy(tmp_path_factory.mktemp("layer"))


def test_the_slimmed_endpoints_keep_every_partition_and_only_our_services(slimmed: Path) -> None:
    endpoints = json.loads((slimmed / "botocore" / "data" / "endpoints.json").read_text())
    assert {p["partition"] for p in endpoints["partitions"]} >= {"aws", "aws-cn", "aws-us-gov"}
    for partition in endpoints["partitions"]:
        assert set(partition["services"]) <= set(slim_botocore.SERVICES)
        assert partition["regions"]
    assert "dynamodb" in endpoints["partitions"][0]["services"]


@pytest.mark.parametrize("services", [slim_botocore.SERVICES, OTHERS], ids=["ours", "others"])
def test_clients_resolve_the_same_endpoints_with_the_slimmed_data(slimmed: Path, services: tuple[str, ...]) -> None:
    stock, slim = _resolve(services), _resolve(services, slimmed)
    assert slim["botocore"].startswith(str(slimmed))
    assert slim["resolved"] == stock["resolved"]
