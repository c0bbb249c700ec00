"""Trim the dependencies layer's botocore endpoint data to the services the functions call.

    python deploy/slim_botocore.py LAYER/python/botocore/data

The first client a process creates makes botocore parse ``data/endpoints.json``: 1.2 MB of
every service's endpoints in every partition, about 13 ms of CPU in each cold start of an
API function (docs/performance.md), for the two services our functions call. The trimmed file
keeps every partition (names, regions, DNS suffixes, defaults) and the entries of ``SERVICES``
only; it stays botocore's own data file, so botocore resolves endpoints exactly as before: the
entries of ``SERVICES`` are unchanged, and every other service still resolves from its own
endpoint rule set (``tests/deploy/test_slim_botocore.py`` compares both ways). A function that
starts calling another AWS service adds it here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# DynamoDB (PynamoDB, Powertools idempotency), Secrets Manager (the Stripe keys), and STS,
# which botocore's credential providers may call.
SERVICES = ("dynamodb", "secretsmanager", "sts")


def slim_endpoints(endpoints: dict[str, Any], services: tuple[str, ...] = SERVICES) -> dict[str, Any]:
    """``endpoints`` (endpoints.json's content) with only ``services`` in each partition."""
    partitions = [
        {**partition, "services": {k: v for k, v in partition.get("services", {}).items() if k in services}}
        for partition in endpoints["partitions"]
    ]
    return {**endpoints, "partitions": partitions}


def slim(data_dir: Path) -> tuple[int, int]:
    """Rewrite ``data_dir/endpoints.json`` in place; its size before and after, in bytes."""
    path = data_dir / "endpoints.json"
    before = path.stat().st_size
    slimmed = slim_endpoints(json.loads(path.read_text(encoding="utf-8")))
    path.write_text(json.dumps(slimmed, separators=(",", ":")), encoding="utf-8")
    return before, path.stat().st_size


def slimmed_copy(dest: Path) -> Path:
    """The installed botocore as the layer ships it: ``dest/botocore``, symbolic links to the
    installed package's files but a slimmed ``endpoints.json``. Put ``dest`` first on a
    process's path to run it (the benchmark, tests/deploy/test_slim_botocore.py)."""
    import botocore

    installed = Path(botocore.__file__).parent
    package, data = dest / "botocore", dest / "botocore" / "data"
    data.mkdir(parents=True)
    for entry in installed.iterdir():
        if entry.name != "data":
            (package / entry.name).symlink_to(entry)
    for entry in (installed / "data").iterdir():
        if entry.name != "endpoints.json":
            (data / entry.name).symlink_to(entry)
    (data / "endpoints.json").write_bytes((installed / "data" / "endpoints.json").read_bytes())
    slim(data)
    return dest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    size_before, size_after = slim(Path(sys.argv[1]))
    print(f"botocore endpoints.json: {size_before:,} -> {size_after:,} bytes")
