"""The README's five-minute tour works as printed against `dogcare serve`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, start_server


def _tour() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Five-minute tour", 1)[1]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)[0]


def test_readme_tour_runs_as_printed(tmp_path: Path) -> None:
    # A server of its own: the tour registers "alice", which other tests may use too.
    server = start_server(tmp_path / "home")
    try:
        _run_tour(server.url, server.env)
    finally:
        server.stop()


def _run_tour(url: str, env: dict[str, str]) -> None:
    script = _tour()
    assert "localhost:3000" in script
    port = url.rsplit(":", 1)[1]
    script = script.replace("localhost:3000", f"localhost:{port}")
    script = script.replace(".venv/bin/dogcare", f"{sys.executable} -m dogcare.cli.app")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert documents, result.stdout
    assert not [d for d in documents if str(d.get("type", "")).startswith("/problems/")], result.stdout
    assert any(d.get("email") == "alice@example.com" for d in documents)
    dogs, roster = [d for d in documents if "items" in d]
    assert [dog["name"] for dog in dogs["items"]] == ["Rex"]
    bookings = [d for d in documents if str(d.get("id", "")).startswith("booking-")]
    pending, confirmed, cancelled = bookings
    assert pending["status"] == "pending" and pending["price"] == "45.00" and pending["payment_id"] is None
    assert confirmed["status"] == "confirmed" and confirmed["id"] == pending["id"]
    assert confirmed["payment_id"]
    assert [entry["booking_id"] for entry in roster["items"]] == [confirmed["id"]]
    assert cancelled["id"] == confirmed["id"] and cancelled["status"] == "cancelled"
    payment = documents[-1]
    assert payment["id"] == confirmed["payment_id"]
    assert payment["status"] == "refunded" and payment["amount_refunded"] == "45.00"
    assert payment["client_secret"] is None
