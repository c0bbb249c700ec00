// One interface for confirming a card payment; two implementations behind it (local and Stripe).

export interface Card {
  number: string;
  expMonth: string;
  expYear: string;
  cvc: string;
}

export interface ConfirmInput {
  clientSecret: string;
  intentId: string;
  card?: Card; // the local form collects it; Stripe's Payment Element holds it itself
}

export type ConfirmResult = { ok: true; status: string } | { ok: false; message: string; code?: string };

export interface PaymentAdapter {
  readonly mode: "local" | "stripe";
  confirm(input: ConfirmInput): Promise<ConfirmResult>;
}
