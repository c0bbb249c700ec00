"""``dogcare stripe``: play the customer's side of Stripe against a running ``dogcare serve``.

``dogcare stripe confirm PAYMENT_ID`` confirms the payment's PaymentIntent with a test card
(``pm_card_visa``; ``--decline`` uses ``pm_card_chargeDeclined``), exactly as Stripe.js
would in a browser. Stripe (locally: the fake Stripe started by ``dogcare serve``) then
sends the signed webhook to the API, which confirms the booking.

Where things are comes from ``<DOGCARE_HOME>/serve.json`` (written by ``dogcare serve``):
the DynamoDB endpoint and table layout (to find the payment's PaymentIntent) and the Stripe
API base. The Stripe keys are the server's: ``DOGCARE_STRIPE_*`` or ``<DOGCARE_HOME>/stripe.json``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console

from dogcare.cli.errors import CliError

if TYPE_CHECKING:
    from dogcare.domain.model import Payment
    from dogcare.facade import Dogcare
    from dogcare.settings import Settings

app = typer.Typer(
    help="Act as the customer's side of Stripe (test cards) against the local server.",
    no_args_is_help=True,
)
out = Console()

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"


PaymentArg = Annotated[str, typer.Argument(help="A payment id (payment-...) or a PaymentIntent id (pi_...).")]
DeclineOpt = Annotated[bool, typer.Option("--decline", help="Pay with a test card that is declined.")]


@app.command("confirm")
def confirm(payment_id: PaymentArg, decline: DeclineOpt = False) -> None:
    """Confirm a payment with a test card; Stripe then sends its webhook to the local API."""
    from dogcare.settings import Settings

    settings = Settings.from_env()
    state = _server_state(settings.home)
    local = _local_app(settings, state)
    payment = None
    if payment_id.startswith("pi_"):
        intent_id = payment_id
    else:
        payment = _find_payment(local, payment_id)
        intent_id = payment.provider_reference or ""
        if not intent_id:
            raise CliError(
                f"payment {payment.id} has no PaymentIntent yet (status {payment.status}): "
                "POST /payments again for its booking"
            )
    result = _confirm_intent(settings, state, intent_id, DECLINED if decline else VISA)
    if result["status"] == "succeeded":
        out.print(f"PaymentIntent {intent_id}: [green]succeeded[/green]")
    else:
        out.print(f"PaymentIntent {intent_id}: [yellow]declined[/yellow] ({result['reason']})")
    if payment is not None:
        _show_outcome(local, payment)


# --- helpers ------------------------------------------------------------------------------


def _server_state(home: Path) -> dict[str, Any]:
    from dogcare.local.stack import STATE_FILE, read_state

    path = home / STATE_FILE
    try:
        state = read_state(home)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    if not state:
        raise CliError(
            f"no local server: {path} does not exist. Start one with `dogcare serve` "
            "(in this directory, or with the same DOGCARE_HOME)."
        )
    api_url = state.get("api_url")
    if not isinstance(api_url, str) or not _reachable(api_url):
        pid = state.get("pid")
        raise CliError(
            f"the local server recorded in {path}{f' (pid {pid})' if pid else ''} is not running at "
            f"{api_url}. Start it with `dogcare serve`."
        )
    return state


def _reachable(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _local_app(settings: Settings, state: dict[str, Any]) -> Dogcare:
    """The library pointed at the running server's DynamoDB and tables."""
    from dogcare.facade import Dogcare

    endpoint = state.get("dynamodb_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise CliError("the local server did not record its DynamoDB endpoint; restart `dogcare serve`")
    # The embedded DynamoDB accepts any credentials; never send real ones to it by accident.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", settings.region)
    layout = state.get("table_layout") or settings.table_layout
    if layout not in ("single", "four"):
        raise CliError(f"unknown table layout {layout!r} in the server state")
    return Dogcare(
        settings.with_changes(
            dynamodb_endpoint=endpoint,
            table_layout=layout,
            table_prefix=state.get("table_prefix") or settings.table_prefix,
        )
    )


def _find_payment(local: Dogcare, payment_id: str) -> Payment:
    from dogcare.errors import NotFound, StorageUnavailable

    try:
        return local.payment_repository.get(payment_id)
    except NotFound:
        raise CliError(f"no payment {payment_id} on the local server") from None
    except StorageUnavailable as exc:
        raise CliError(f"cannot read the local server's DynamoDB: {exc.detail}") from None


def _confirm_intent(settings: Settings, state: dict[str, Any], intent_id: str, payment_method: str) -> dict[str, str]:
    """Confirm with the official SDK; ``{"status": "succeeded"}`` or ``{"status": "declined", ...}``."""
    import stripe

    from dogcare.errors import PaymentProviderError, PaymentProviderUnavailable
    from dogcare.payments.secrets import load_stripe_keys
    from dogcare.payments.stripe_gateway import STRIPE_API_VERSION, redact

    try:
        keys = load_stripe_keys(settings)
    except (PaymentProviderError, PaymentProviderUnavailable) as exc:
        raise CliError(f"cannot find the local server's Stripe keys: {exc.detail}") from None
    if not keys.secret_key.startswith("sk_test_"):
        raise CliError("refusing to confirm payments with a live Stripe key: use test mode keys")
    api_base = state.get("stripe_api_base")
    client = stripe.StripeClient(
        keys.secret_key,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=30),
    )
    try:
        intent = client.v1.payment_intents.confirm(intent_id, params={"payment_method": payment_method})
    except stripe.CardError as exc:
        code = "/".join(part for part in (exc.code, getattr(exc.error, "decline_code", None)) if part)
        message = str(exc.user_message or "declined")
        return {"status": "declined", "reason": f"{code}: {message}" if code else message}
    except stripe.AuthenticationError:
        raise CliError(
            "Stripe refused the API key: the keys found are not the running server's "
            "(restart `dogcare serve`, or set DOGCARE_STRIPE_SECRET_KEY to its key)"
        ) from None
    except stripe.APIConnectionError:
        where = api_base or "api.stripe.com"
        raise CliError(f"cannot reach Stripe at {where}: is `dogcare serve` running?") from None
    except stripe.StripeError as exc:
        detail = redact(exc.user_message or str(exc))
        raise CliError(f"Stripe refused to confirm {intent_id}: {detail}") from None
    return {"status": str(intent.status)}


def _show_outcome(local: Dogcare, before: Payment) -> None:
    """What the webhook did (it is delivered before the confirmation is answered)."""
    try:
        payment = local.payment_repository.get(before.id)
        booking = local.booking_repository.get(payment.booking_id)
    except Exception as exc:  # the confirmation itself worked: a failed read is only a warning
        out.print(f"[yellow]could not read the result back:[/yellow] {exc}")
        return
    out.print(
        f"payment {payment.id}: {payment.status}" + (f" ({payment.failure_reason})" if payment.failure_reason else "")
    )
    out.print(f"booking {booking.id}: {booking.status}")
    if payment.version == before.version:
        out.print(
            "[yellow]the webhook has not been applied (yet):[/yellow] is the API's "
            "/payments/webhook reachable from Stripe?"
        )
