"""The dogcare CLI as a user runs it: a subprocess, against a local DynamoDB server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
def env(dynamodb: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DOGCARE_")}
    return {
        **base,
        "PYTHONPATH": str(ROOT),
        "DOGCARE_DYNAMODB_ENDPOINT": dynamodb,
        "DOGCARE_TABLE_PREFIX": f"cli-{request.node.name[:20].replace('_', '-').replace('[', '').replace(']', '')}",
        "DOGCARE_HOME": str(tmp_path / "home"),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_help_everywhere(env: dict[str, str], tmp_path: Path) -> None:
    commands = ([], ["serve"], ["token"], ["tables"], ["tables", "create"], ["seed"], ["export"])
    for args in (*commands, ["migrate"], ["reconcile"]):
        result = run(*args, "--help", env=env, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout


def test_tables_create_then_describe_in_both_layouts(env: dict[str, str], tmp_path: Path) -> None:
    for layout, expected in (("single", ["data"]), ("four", ["owners", "dogs", "bookings", "payments"])):
        layout_env = {
            **env,
            "DOGCARE_TABLE_LAYOUT": layout,
            "DOGCARE_TABLE_PREFIX": env["DOGCARE_TABLE_PREFIX"] + layout,
        }
        created = run("tables", "create", env=layout_env, cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        assert "created" in created.stdout
        again = run("tables", "create", env=layout_env, cwd=tmp_path)
        assert "already exist" in again.stdout
        described = run("tables", "describe", env=layout_env, cwd=tmp_path)
        assert described.returncode == 0
        for name in expected:
            assert f"-{name}" in described.stdout and "ACTIVE" in described.stdout


def test_seed_is_deterministic_and_exports(env: dict[str, str], tmp_path: Path) -> None:
    assert run("tables", "create", env=env, cwd=tmp_path).returncode == 0
    first = run("seed", "--owners", "6", "--days", "5", "--seed", "11", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "owners: 6" in first.stdout
    out = tmp_path / "owners.jsonl"
    exported = run("export", "--entity", "owners", "--format", "jsonl", "--out", str(out), env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    owners = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(owners) == 6
    # The same seed makes the same data: in a fresh table set, the same owners and dogs appear.
    other = {**env, "DOGCARE_TABLE_PREFIX": env["DOGCARE_TABLE_PREFIX"] + "b"}
    assert run("tables", "create", env=other, cwd=tmp_path).returncode == 0
    assert run("seed", "--owners", "6", "--days", "5", "--seed", "11", env=other, cwd=tmp_path).returncode == 0
    out2 = tmp_path / "owners2.jsonl"
    assert run("export", "--entity", "owners", "--out", str(out2), env=other, cwd=tmp_path).returncode == 0
    strip = {"created_at", "updated_at"}
    again = sorted(
        (
            {k: v for k, v in o.items() if k not in strip}
            for o in (json.loads(line) for line in out2.read_text().splitlines())
        ),
        key=lambda o: o["id"],
    )
    assert again == sorted(({k: v for k, v in o.items() if k not in strip} for o in owners), key=lambda o: o["id"])
    dogs = tmp_path / "dogs.csv"
    assert (
        run("export", "--entity", "dogs", "--format", "csv", "--out", str(dogs), env=env, cwd=tmp_path).returncode == 0
    )
    assert dogs.read_text().splitlines()[0].startswith("id,owner_id,name,breed,age,size,vaccination_status")


def test_readable_errors_and_exit_codes(env: dict[str, str], tmp_path: Path) -> None:
    bad = run("export", "--entity", "cats", "--out", "x", env=env, cwd=tmp_path)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "cats" in bad.stderr
    missing = run("token", env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "--sub" in missing.stderr
    empty = run("token", "--sub", " ", env=env, cwd=tmp_path)
    assert empty.returncode == 2 and "Traceback" not in empty.stderr
    resume = run("export", "--entity", "owners", "--out", "o.jsonl", "--resume", "not-a-token", env=env, cwd=tmp_path)
    assert resume.returncode == 1 and "Traceback" not in resume.stderr and "resume token" in resume.stderr
    down = run("tables", "describe", env={**env, "DOGCARE_DYNAMODB_ENDPOINT": "http://127.0.0.1:9"}, cwd=tmp_path)
    assert down.returncode == 1
    assert "Traceback" not in down.stderr and "error" in down.stderr.lower()


def test_token_is_accepted_by_the_verifier(env: dict[str, str], tmp_path: Path) -> None:
    result = run("token", "--sub", "alice", "--admin", "--expires-in", "60", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from dogcare.auth.dev_issuer import DEV_CLIENT_ID, DEV_ISSUER
    from dogcare.auth.jwks import FileJwksSource, JwksCache
    from dogcare.auth.verifier import TokenVerifier

    home = Path(env["DOGCARE_HOME"])
    verifier = TokenVerifier(JwksCache(FileJwksSource(home / "dev-issuer" / "jwks.json")), DEV_ISSUER, DEV_CLIENT_ID)
    identity = verifier.verify(result.stdout.strip())
    assert identity.subject == "alice" and identity.actor.is_staff


def test_token_id_prints_an_id_token_the_owner_routes_accept(env: dict[str, str], tmp_path: Path) -> None:
    result = run("token", "--sub", "alice", "--email", "Alice@Example.com", "--id", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from dogcare.auth.dev_issuer import DEV_ISSUER
    from dogcare.auth.id_token import IdTokenVerifier
    from dogcare.auth.jwks import FileJwksSource, JwksCache
    from dogcare.auth.verifier import TokenVerifier

    home = Path(env["DOGCARE_HOME"])
    access = TokenVerifier(JwksCache(FileJwksSource(home / "dev-issuer" / "jwks.json")), DEV_ISSUER, "dogcare-web")
    verifier = IdTokenVerifier(access, "dogcare-web")
    assert verifier.verified_email(result.stdout.strip(), "alice") == "Alice@Example.com"
    # ...and it is no access token: the access-token verifier refuses it.
    from dogcare.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        access.verify(result.stdout.strip())
    lonely = run("token", "--sub", "alice", "--email", "a@example.com", env=env, cwd=tmp_path)
    assert lonely.returncode == 2 and "--id" in lonely.stderr
