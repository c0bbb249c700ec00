"""The OpenAPI 3.1 document of the whole API, generated from the functions' resolvers.

python -m handlers.openapi            # write docs/openapi.json
python -m handlers.openapi --check    # exit 1 if the committed document drifted
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from dogcare import __version__
from handlers.registry import FUNCTIONS, PUBLIC, handler_module

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
TITLE = "dogcare API"
DESCRIPTION = (
    "Dog daycare, boarding and parking: owners, dogs, bookings, payments and the staff surface. "
    "Every route needs a bearer token (a Cognito access token in AWS; `dogcare token` locally) "
    "except the Stripe webhook, which is verified by its signature. Errors are RFC 9457 problem documents."
)


def document() -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": __version__, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }
    for module_name in FUNCTIONS.values():
        schema = json.loads(handler_module(module_name).get_app().get_openapi_json_schema(title=TITLE))
        for path, operations in schema.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    for method, path in PUBLIC:
        operation = merged["paths"].get(path, {}).get(method.lower())
        if operation is not None:
            # Powertools drops an empty ``security`` list, which would leave the public routes
            # under the document's bearer requirement; they answer no 401 either.
            operation["security"] = []
            operation.get("responses", {}).pop("401", None)
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["components"]["schemas"] = dict(sorted(merged["components"]["schemas"].items()))
    return merged


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.name} is out of date: run `python -m handlers.openapi`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
