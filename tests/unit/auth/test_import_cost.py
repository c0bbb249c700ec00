"""The owner function verifies ID tokens without paying for it on every cold start, and no
function ever loads the local OpenID provider."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json, sys
import handlers.owners, handlers.dogs, handlers.bookings, handlers.admin, handlers.payments
print(json.dumps({name: name in sys.modules for name in ("jwt", "cryptography", "dogcare.auth.id_token",
    "dogcare.local.oidc", "dogcare.local.gateway")}))
"""


def test_importing_the_api_functions_loads_no_token_library_and_no_local_provider() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == dict.fromkeys(loaded, False), loaded
