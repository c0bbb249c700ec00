import { describe, expect, it, vi } from "vitest";
import { createLocalAdapter, validateCard } from "./local";

const card = { number: "4242 4242 4242 4242", expMonth: "12", expYear: "2030", cvc: "123" };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("local payment adapter", () => {
  it("creates a card payment method then confirms the intent, as Stripe.js does", async () => {
    const fetcher = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(json(200, { id: "pm_123", object: "payment_method" }))
      .mockResolvedValueOnce(json(200, { id: "pi_9", status: "succeeded" }));
    const adapter = createLocalAdapter({ stripeApiBase: "http://127.0.0.1:4111/", publishableKey: "pk_test_local", fetcher });
    const result = await adapter.confirm({ clientSecret: "pi_9_secret_abc", intentId: "pi_9", card });
    expect(result).toEqual({ ok: true, status: "succeeded" });

    const [url1, init1] = fetcher.mock.calls[0];
    expect(url1).toBe("http://127.0.0.1:4111/v1/payment_methods");
    expect(init1?.method).toBe("POST");
    expect(init1?.headers).toMatchObject({
      Authorization: "Bearer pk_test_local",
      "Content-Type": "application/x-www-form-urlencoded",
    });
    expect(Object.fromEntries(new URLSearchParams(String(init1?.body)))).toEqual({
      type: "card",
      "card[number]": "4242424242424242",
      "card[exp_month]": "12",
      "card[exp_year]": "2030",
      "card[cvc]": "123",
    });
    const [url2, init2] = fetcher.mock.calls[1];
    expect(url2).toBe("http://127.0.0.1:4111/v1/payment_intents/pi_9/confirm");
    expect(Object.fromEntries(new URLSearchParams(String(init2?.body)))).toEqual({
      client_secret: "pi_9_secret_abc",
      payment_method: "pm_123",
    });
  });

  it("reports a declined card with Stripe's message and code", async () => {
    const fetcher = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(json(200, { id: "pm_1" }))
      .mockResolvedValueOnce(
        json(402, { error: { type: "card_error", code: "card_declined", message: "Your card was declined." } }),
      );
    const adapter = createLocalAdapter({ stripeApiBase: "http://localhost:1", publishableKey: "pk", fetcher });
    const result = await adapter.confirm({ clientSecret: "s", intentId: "pi_1", card: { ...card, number: "4000000000000002" } });
    expect(result).toEqual({ ok: false, message: "Your card was declined.", code: "card_declined" });
  });

  it("stops when the payment method is refused and never confirms", async () => {
    const fetcher = vi.fn<typeof fetch>().mockResolvedValueOnce(
      json(400, { error: { type: "invalid_request_error", code: "incorrect_number", message: "Your card number is incorrect." } }),
    );
    const adapter = createLocalAdapter({ stripeApiBase: "http://localhost:1", publishableKey: "pk", fetcher });
    const result = await adapter.confirm({ clientSecret: "s", intentId: "pi_1", card });
    expect(result).toEqual({ ok: false, message: "Your card number is incorrect.", code: "incorrect_number" });
    expect(fetcher).toHaveBeenCalledTimes(1);
  });

  it("says nothing was charged when the service cannot be reached", async () => {
    const fetcher = vi.fn<typeof fetch>().mockRejectedValue(new TypeError("Failed to fetch"));
    const adapter = createLocalAdapter({ stripeApiBase: "http://localhost:1", publishableKey: "pk", fetcher });
    const result = await adapter.confirm({ clientSecret: "s", intentId: "pi_1", card });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/Nothing was charged/);
  });

  it("treats an intent that is not succeeded as not paid", async () => {
    const fetcher = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(json(200, { id: "pm_1" }))
      .mockResolvedValueOnce(json(200, { id: "pi_1", status: "requires_action" }));
    const adapter = createLocalAdapter({ stripeApiBase: "http://localhost:1", publishableKey: "pk", fetcher });
    const result = await adapter.confirm({ clientSecret: "s", intentId: "pi_1", card });
    expect(result).toEqual({ ok: false, message: "The payment was not completed (requires_action)." });
  });
});

describe("card form validation", () => {
  const now = new Date("2030-06-15T00:00:00Z");
  it("accepts a good card and two-digit years", () => {
    expect(validateCard(card, now)).toEqual({});
    expect(validateCard({ ...card, expYear: "31" }, now)).toEqual({});
  });
  it("names each bad field", () => {
    expect(validateCard({ number: "4242", expMonth: "13", expYear: "x", cvc: "1" }, now)).toEqual({
      number: "Enter the 12 to 19 digits of the card number.",
      expMonth: "Enter the month, 1 to 12.",
      expYear: "Enter the year, for example 2030.",
      cvc: "Enter the 3 or 4 digit security code.",
    });
    expect(validateCard({ ...card, expMonth: "5", expYear: "2030" }, now).expYear).toBe("This card has expired.");
  });
});
