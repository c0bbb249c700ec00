"""payment-processing: pay for a booking, read a payment, and receive Stripe's webhooks."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from dogcare.commands import NewPayment
from dogcare.domain.actor import PAYMENT_PROVIDER
from handlers.common import runtime
from handlers.common.http import idempotency_key, json_response, responses
from handlers.common.idempotency import KeyedRequest, idempotent_use_case
from handlers.common.observability import count, lambda_entrypoint
from handlers.common.resolver import identity
from handlers.common.views import PaymentView

router = Router()  # type: ignore[no-untyped-call]  # unannotated upstream
PaymentId = Annotated[str, Path(min_length=1, max_length=64, description="A payment id, e.g. payment-c3d1...")]


class WebhookAck(BaseModel):
    received: bool
    outcome: str


@idempotent_use_case("payments", "payments")
def pay(request: KeyedRequest[NewPayment]) -> PaymentView:
    """The use case of ``POST /payments``; a replay with its key gets the first payment (and
    its client secret) back."""
    payment = runtime.dogcare().payments.create(request.actor, request.command)
    count("PaymentsStarted")
    return PaymentView.of(payment, include_secret=True)


@router.post(
    "/payments",
    summary="Pay for a pending booking (honours Idempotency-Key)",
    tags=["payments"],
    responses=responses(201, PaymentView, 404, 409, 413, 415, 422, 502),
)
def create_payment(body: NewPayment) -> Response[PaymentView]:
    request = KeyedRequest[NewPayment](actor=identity(router).actor, key=idempotency_key(router), command=body)
    view = pay(request=request, lambda_context=router.lambda_context)
    return json_response(view, 201, view.version)


@router.get(
    "/payments/<id>",
    summary="One of the caller's payments",
    tags=["payments"],
    responses=responses(200, PaymentView, 404),
)
def get_payment(id: PaymentId) -> Response[PaymentView]:
    payment = runtime.dogcare().payments.get(identity(router).actor, id)
    return json_response(PaymentView.of(payment), 200, payment.version)


@router.post(
    "/payments/webhook",
    summary="Stripe webhook (public; verified by its signature)",
    tags=["payments"],
    security=[],
    responses=responses(200, WebhookAck, 400, 413, 415),
)
def webhook() -> Response[WebhookAck]:
    event = router.current_event
    payload = event.decoded_body or ""
    raw = payload.encode() if isinstance(payload, str) else payload
    from dogcare.services.payments import PRICE_MISMATCH  # loaded by handle_webhook already

    outcome = runtime.dogcare().payments.handle_webhook(PAYMENT_PROVIDER, raw, event.headers.get("Stripe-Signature"))
    count("WebhooksProcessed")
    if outcome == PRICE_MISMATCH:
        count("PaymentAmountMismatch")  # the booking was not confirmed; the payment is refunded (alarmed)
    return json_response(WebhookAck(received=True, outcome=outcome))


get_app, lambda_handler = lambda_entrypoint(router)
