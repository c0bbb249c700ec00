"""The library passes ``mypy --strict``, and the project's configuration says so (``strict = true``
in pyproject.toml, so ``make typecheck`` cannot drift back to a looser check)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STRICT = ("dogcare/",)


def test_the_library_passes_mypy_strict() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *STRICT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    # --strict also checks the modules these import; only errors in the library count here.
    ours = [line for line in run.stdout.splitlines() if line.startswith(STRICT)]
    assert ours == [], "\n".join(ours)
    assert "error" not in run.stderr, run.stderr


def test_the_configuration_is_strict() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert "overrides" not in config  # no module opts out
