"""The web app's ``config.json`` for a deployed stage, from the stack's outputs.

    aws cloudformation describe-stacks --stack-name dogcare-dev \\
        --query 'Stacks[0].Outputs' --output json > outputs.json
    python deploy/web_config.py outputs.json --publishable-key pk_live_... --output web/dist/config.json
    python deploy/web_config.py outputs.json --get WebBucketName      # one output, for scripts

The document has the shape ``dogcare serve`` generates at ``/app/config.json`` (payments in
``"stripe"`` mode: the browser talks to Stripe itself). Standard library only, so it runs
with any Python 3.11 next to the AWS CLI.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REQUIRED_OUTPUTS = ("ApiUrl", "AuthIssuer", "UserPoolClientId", "WebOrigin", "CognitoDomainUrl", "FacilityTimezone")
PUBLISHABLE_KEY = re.compile(r"^pk_(live|test)_[A-Za-z0-9]+$")


class ConfigError(Exception):
    """The outputs or the arguments cannot make a valid config."""


def read_outputs(document: Any) -> dict[str, str]:
    """``describe-stacks`` outputs (a list of ``{"OutputKey", "OutputValue"}``, or the whole
    ``describe-stacks`` answer) as ``{key: value}``."""
    if isinstance(document, dict) and "Stacks" in document:
        stacks = document["Stacks"]
        if not isinstance(stacks, list) or len(stacks) != 1:
            raise ConfigError("expected exactly one stack in the describe-stacks answer")
        document = stacks[0].get("Outputs", [])
    if not isinstance(document, list):
        raise ConfigError("expected the stack's Outputs: a list of {OutputKey, OutputValue}")
    outputs: dict[str, str] = {}
    for entry in document:
        if not isinstance(entry, dict) or not isinstance(entry.get("OutputKey"), str):
            raise ConfigError(f"not a stack output: {entry!r}")
        outputs[entry["OutputKey"]] = str(entry.get("OutputValue", ""))
    return outputs


def build_config(outputs: Mapping[str, str], publishable_key: str, currency: str = "USD") -> dict[str, Any]:
    missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    if missing:
        raise ConfigError(f"the stack has no output {', '.join(missing)}: deploy template.yaml first")
    if not PUBLISHABLE_KEY.match(publishable_key):
        raise ConfigError("the Stripe publishable key must look like pk_live_... or pk_test_... (never sk_...)")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"not an ISO 4217 currency code: {currency!r}")
    for key in ("ApiUrl", "AuthIssuer", "WebOrigin", "CognitoDomainUrl"):
        if not outputs[key].startswith("https://"):
            raise ConfigError(f"output {key} is not an https URL: {outputs[key]!r}")
    return {
        "apiBaseUrl": outputs["ApiUrl"].rstrip("/"),
        "oidc": {
            "authority": outputs["AuthIssuer"],
            "clientId": outputs["UserPoolClientId"],
            "redirectPath": "/app/callback",
            "silentRedirectPath": "/app/silent-renew.html",
            "postLogoutPath": "/app/",
            "scope": "openid email profile",
            # Cognito's discovery document names no end_session_endpoint: its logout page is here.
            "endSessionEndpoint": f"{outputs['CognitoDomainUrl'].rstrip('/')}/logout",
        },
        "payments": {"mode": "stripe", "publishableKey": publishable_key, "stripeApiBase": None},
        "facilityTimezone": outputs["FacilityTimezone"],
        "currency": currency,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the web app's config.json from the stack's outputs.")
    parser.add_argument("outputs", type=Path, help="describe-stacks output (JSON)")
    parser.add_argument("--publishable-key", default="", help="Stripe publishable key (pk_live_... or pk_test_...)")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--output", type=Path, help="where to write config.json (default: stdout)")
    parser.add_argument("--get", metavar="KEY", help="print one output's value instead")
    args = parser.parse_args(argv)
    try:
        outputs = read_outputs(json.loads(args.outputs.read_text(encoding="utf-8")))
        if args.get:
            if args.get not in outputs:
                raise ConfigError(f"the stack has no output {args.get}")
            print(outputs[args.get])
            return 0
        text = json.dumps(build_config(outputs, args.publishable_key, args.currency), indent=2) + "\n"
    except (OSError, ValueError, ConfigError) as exc:
        print(f"web_config: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
