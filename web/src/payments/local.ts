// Local mode: the app's own card form confirms the PaymentIntent against the local Stripe
// exactly as Stripe.js does against Stripe (create a payment method with the publishable
// key, then confirm the intent with its client secret).
import type { Card, ConfirmInput, ConfirmResult, PaymentAdapter } from "./adapter";

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export function cardDigits(number: string): string {
  return number.replace(/[\s-]/g, "");
}

/** Field messages for the card form (empty when it can be sent). */
export function validateCard(card: Card, now: Date = new Date()): Partial<Record<keyof Card, string>> {
  const errors: Partial<Record<keyof Card, string>> = {};
  const digits = cardDigits(card.number);
  if (!/^\d{12,19}$/.test(digits)) errors.number = "Enter the 12 to 19 digits of the card number.";
  const month = Number(card.expMonth);
  if (!/^\d{1,2}$/.test(card.expMonth) || month < 1 || month > 12) errors.expMonth = "Enter the month, 1 to 12.";
  let year = Number(card.expYear);
  if (!/^\d{2}(\d{2})?$/.test(card.expYear)) errors.expYear = "Enter the year, for example 2030.";
  else if (card.expYear.length === 2) year += 2000;
  if (!errors.expMonth && !errors.expYear) {
    const y = now.getUTCFullYear();
    const m = now.getUTCMonth() + 1;
    if (year < y || (year === y && month < m)) errors.expYear = "This card has expired.";
  }
  if (!/^\d{3,4}$/.test(card.cvc)) errors.cvc = "Enter the 3 or 4 digit security code.";
  return errors;
}

interface StripeError {
  error?: { type?: string; code?: string; message?: string; decline_code?: string };
}

async function stripeError(response: Response): Promise<ConfirmResult> {
  let body: StripeError = {};
  try {
    body = (await response.json()) as StripeError;
  } catch {
    body = {};
  }
  const message = body.error?.message || `The card could not be charged (HTTP ${response.status}).`;
  return { ok: false, message, code: body.error?.decline_code || body.error?.code };
}

export function createLocalAdapter(opts: {
  stripeApiBase: string;
  publishableKey: string;
  fetcher?: typeof fetch;
}): PaymentAdapter {
  const base = opts.stripeApiBase.replace(/\/+$/, "");
  const fetcher = opts.fetcher ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const headers = {
    Authorization: `Bearer ${opts.publishableKey}`,
    "Content-Type": "application/x-www-form-urlencoded",
  };
  return {
    mode: "local",
    async confirm({ clientSecret, intentId, card }: ConfirmInput): Promise<ConfirmResult> {
      if (!card) return { ok: false, message: "Enter the card details." };
      try {
        const created = await fetcher(`${base}/v1/payment_methods`, {
          method: "POST",
          headers,
          body: form({
            type: "card",
            "card[number]": cardDigits(card.number),
            "card[exp_month]": String(Number(card.expMonth)),
            "card[exp_year]": card.expYear.length === 2 ? `20${card.expYear}` : card.expYear,
            "card[cvc]": card.cvc,
          }),
        });
        if (!created.ok) return await stripeError(created);
        const method = (await created.json()) as { id: string };
        const confirmed = await fetcher(`${base}/v1/payment_intents/${encodeURIComponent(intentId)}/confirm`, {
          method: "POST",
          headers,
          body: form({ client_secret: clientSecret, payment_method: method.id }),
        });
        if (!confirmed.ok) return await stripeError(confirmed);
        const intent = (await confirmed.json()) as { status: string; last_payment_error?: { message?: string } };
        if (intent.status === "succeeded" || intent.status === "processing") return { ok: true, status: intent.status };
        return {
          ok: false,
          message: intent.last_payment_error?.message || `The payment was not completed (${intent.status}).`,
        };
      } catch {
        return { ok: false, message: "Could not reach the payment service. Nothing was charged; please try again." };
      }
    },
  };
}
