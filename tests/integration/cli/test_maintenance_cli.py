"""``dogcare migrate`` and ``dogcare reconcile`` as an operator runs them: subprocesses against a
local DynamoDB server, with seeded data damaged by raw writes in between."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dogcare.facade import Dogcare
from dogcare.storage.store import Store
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from dogcare.local.stack import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def env(dynamodb: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DOGCARE_")}
    name = request.node.name[:24].replace("_", "-")
    return {
        **base,
        "PYTHONPATH": str(ROOT),
        "DOGCARE_DYNAMODB_ENDPOINT": dynamodb,
        "DOGCARE_TABLE_PREFIX": f"maint-{name}",
        "DOGCARE_HOME": str(tmp_path / "home"),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dogcare.cli.app", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def seeded(env: dict[str, str], tmp_path: Path) -> Dogcare:
    """Seeded tables, and the library pointed at them (for raw damage and inspection)."""
    assert run("tables", "create", env=env, cwd=tmp_path).returncode == 0
    seeded = run("seed", "--owners", "8", "--days", "5", "--seed", "5", env=env, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    settings = make_settings(
        "single", tmp_path, table_prefix=env["DOGCARE_TABLE_PREFIX"], dynamodb_endpoint=env["DOGCARE_DYNAMODB_ENDPOINT"]
    )
    return Dogcare(settings, Store(settings))


def scan(app: Dogcare, stamp: str) -> list[dict[str, Any]]:
    table = app.store.layout.table_name("bookings")
    items = app.store.client.scan(TableName=table, ConsistentRead=True)["Items"]
    return [i for i in items if i["entity_type"]["S"] == stamp]


def test_reconcile_reports_drift_fixes_it_and_exits_clean(seeded: Dogcare, env: dict[str, str], tmp_path: Path) -> None:
    clean = run("reconcile", env=env, cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert "no drift" in clean.stdout

    client, table = seeded.store.client, seeded.store.layout.table_name("bookings")
    counter = scan(seeded, "capacity_counter")[0]
    client.put_item(TableName=table, Item={**counter, "used": {"N": str(int(counter["used"]["N"]) + 2)}})
    guard = scan(seeded, "email_guard")[0]
    client.delete_item(TableName=table, Key={"pk": guard["pk"], "sk": guard["sk"]})

    found = run("reconcile", env=env, cwd=tmp_path)
    assert found.returncode == 1, found.stdout + found.stderr
    for text in ("kind", "expected", "actual", "capacity", "email_guard", counter["pk"]["S"], "2 drift found"):
        assert text in found.stdout, text
    assert "Traceback" not in found.stderr

    fixed = run("reconcile", "--fix", env=env, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed 2, skipped 0" in fixed.stdout
    assert run("reconcile", env=env, cwd=tmp_path).returncode == 0
    stored = client.get_item(TableName=table, Key={"pk": counter["pk"], "sk": counter["sk"]}, ConsistentRead=True)
    assert stored["Item"]["used"] == counter["used"]


def test_migrate_upgrades_old_items_once(seeded: Dogcare, env: dict[str, str], tmp_path: Path) -> None:
    client, table = seeded.store.client, seeded.store.layout.table_name("bookings")
    bookings = scan(seeded, "booking")
    assert bookings
    for item in bookings:
        old = {k: v for k, v in item.items() if k not in ("capacity_days", "roster_days", "schedule_interval", "zone")}
        client.put_item(TableName=table, Item={**old, "schema_version": {"N": "1"}})
    old_shape = run("reconcile", env=env, cwd=tmp_path)
    assert old_shape.returncode == 1 and "schema" in old_shape.stdout

    first = run("migrate", "--zone", "UTC", "--page-size", "7", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"migrated {len(bookings)}," in first.stdout
    assert sorted(scan(seeded, "booking"), key=lambda i: i["pk"]["S"]) == sorted(bookings, key=lambda i: i["pk"]["S"])
    again = run("migrate", env=env, cwd=tmp_path)
    assert again.returncode == 0 and "read 0, migrated 0" in again.stdout
    assert run("reconcile", env=env, cwd=tmp_path).returncode == 0

    bad_zone = run("migrate", "--zone", "Mars/Olympus", env=env, cwd=tmp_path)
    assert bad_zone.returncode == 2 and "unknown time zone" in bad_zone.stderr
    bad_resume = run("migrate", "--resume", "nonsense", env=env, cwd=tmp_path)
    assert bad_resume.returncode == 2 and "checkpoint" in bad_resume.stderr
    assert "Traceback" not in bad_zone.stderr + bad_resume.stderr
