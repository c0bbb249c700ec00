"""Import every function of a ``sam build`` from its package and the dependencies layer alone.

    python deploy/check_build.py [.aws-sam/build]

Each function is imported in a fresh interpreter started with ``-S`` (no site-packages), so a
module that the code needs but the layer lacks — or a dev-only tool the code imports by
mistake — fails here instead of on the first request in AWS. The layer holds Linux x86_64
wheels: on any other machine the check is skipped.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.registry import AUTHORIZER_FUNCTION, FUNCTIONS, SCHEDULED_FUNCTIONS

# Imported on first use by the functions, so named here to be imported up front as well.
LAZY_IMPORTS = (
    "dogcare.facade",
    "dogcare.payments.secrets",
    "dogcare.auth.verifier",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
)


def main(build_dir: Path) -> int:
    if (platform.system(), platform.machine()) != ("Linux", "x86_64") or sys.version_info[:2] != (3, 11):
        print("check_build: skipped (the layer holds Linux x86_64 CPython 3.11 wheels)")
        return 0
    layer = build_dir / "DependenciesLayer" / "python"
    started = {}
    every = {**FUNCTIONS, AUTHORIZER_FUNCTION[0]: AUTHORIZER_FUNCTION[1], **SCHEDULED_FUNCTIONS}
    for function, module in every.items():
        names = (module, *LAZY_IMPORTS)
        code = f"import importlib\nfor name in {names!r}:\n    importlib.import_module(name)\n"
        env = {
            **os.environ,
            "PYTHONPATH": f"{build_dir / function}{os.pathsep}{layer}",
            "PYTHONDONTWRITEBYTECODE": "1",  # leave the artifacts as built
        }
        command = [sys.executable, "-S", "-c", code]
        started[(function, module)] = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    failures = 0
    for (function, module), process in started.items():
        _, stderr = process.communicate()
        status = "ok" if process.returncode == 0 else "FAILED"
        print(f"check_build: {function} ({module}) {status}")
        if process.returncode != 0:
            failures += 1
            print(stderr.strip().splitlines()[-1] if stderr.strip() else "(no output)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")))
