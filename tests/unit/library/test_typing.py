"""The domain rules and the testing kit pass ``mypy --strict`` (the project's configuration is
looser elsewhere: PynamoDB's models are not typed well enough for it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STRICT = ("dogcare/domain", "dogcare/testing")


def test_domain_and_testing_kit_pass_mypy_strict() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *STRICT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    # --strict also checks the modules these import; only errors in the two packages count here.
    ours = [line for line in run.stdout.splitlines() if line.startswith(STRICT)]
    assert ours == [], "\n".join(ours)
    assert "error" not in run.stderr, run.stderr
