"""``dogcare serve``: the whole API on this machine."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

from dogcare.cli.errors import CliError

out = Console()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    seed: Annotated[int, typer.Option(help="Seed this many demo owners at start (0: none).")] = 0,
) -> None:
    """Start the local API: embedded DynamoDB, local Stripe, development issuer, gateway."""
    from dogcare.local.stack import LocalStack

    try:
        stack = LocalStack(host=host, port=port).start()
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    if seed:
        from dogcare.cli.seed import seed_demo

        seed_demo(owners=seed, days=7, random_seed=7, quiet=True)
    out.print(f"[bold green]dogcare[/bold green] API on [link]{stack.api_url}[/link]")
    out.print(f"  docs        {stack.api_url}/docs")
    if not os.environ.get("DOGCARE_AUTH_JWKS_URL"):
        out.print(f"  sign-in     {stack.api_url}/oidc  (OpenID provider; client dogcare-web)")
    out.print(f"  DynamoDB    {stack.dynamodb_endpoint}")
    out.print(f"  Stripe      {stack.stripe_api_base or 'not configured'}")
    out.print("  a token:    dogcare token --sub alice   (add --admin for staff; --id --email for an ID token)")
    out.print("Ctrl-C stops.", style="dim")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
