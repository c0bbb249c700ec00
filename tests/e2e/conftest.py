"""End-to-end fixtures: `dogcare serve` as a subprocess, driven over HTTP with real tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from dogcare.local.stack import free_port, read_state

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    url: str
    home: Path
    state: dict[str, Any]
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def token(self, sub: str, *, admin: bool = False, expires_in: int = 3600) -> str:
        from dogcare.auth.dev_issuer import DevIssuer

        return DevIssuer(self.home).mint(sub, admin=admin, expires_in=expires_in)

    def id_token(self, sub: str, email: str | None = None, **kwargs: Any) -> str:
        """An ID token of this server's issuer (what ``X-Id-Token`` carries)."""
        from dogcare.auth.dev_issuer import DevIssuer

        return DevIssuer(self.home).mint_id_token(sub, email or f"{sub}@example.com", **kwargs)

    def headers(self, sub: str, *, admin: bool = False, **extra: str) -> dict[str, str]:
        token = self.token(sub, admin=admin)
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **extra}

    def dynamodb(self) -> Any:
        """A raw botocore client on the server's DynamoDB, to check what was (not) written."""
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=self.state["dynamodb_endpoint"],
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def snapshot(self) -> list[dict[str, Any]]:
        """Every data item of every table, sorted (tests compare before/after a rejected request).

        Rate-limit windows and idempotency records are bookkeeping of the request itself,
        not data, so they are left out."""
        client = self.dynamodb()
        items: list[dict[str, Any]] = []
        for table in sorted(client.list_tables()["TableNames"]):
            for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                items.extend(
                    {"_table": {"S": table}, **item}
                    for item in page["Items"]
                    if not item["pk"]["S"].startswith(("RATE#", "IDEMPOTENCY#"))
                )
        return sorted(items, key=lambda i: json.dumps(i, sort_keys=True))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(home: Path, **env_overrides: str) -> Server:
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOGCARE_", "POWERTOOLS_"))}
    env.update({"DOGCARE_HOME": str(home), "PYTHONUNBUFFERED": "1", **env_overrides})
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [sys.executable, "-m", "dogcare.cli.app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dogcare serve exited: {(home / 'serve.log').read_text()}")
        state = read_state(home)
        if state and state.get("api_url") == url:
            try:
                # The first request builds the OpenAPI document: slow on a busy machine.
                requests.get(f"{url}/docs/openapi.json", timeout=10)
                return Server(url, home, state, process, env)
            except (requests.ConnectionError, requests.Timeout):
                pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"dogcare serve did not start: {(home / 'serve.log').read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One local API for the session (tests use distinct subjects, so they don't collide)."""
    srv = start_server(tmp_path_factory.mktemp("serve-home"), DOGCARE_RATE_LIMIT_PER_MINUTE="100000")
    yield srv
    srv.stop()
