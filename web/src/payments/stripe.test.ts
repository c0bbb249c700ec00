import { beforeEach, describe, expect, it, vi } from "vitest";

const element = { mount: vi.fn(), destroy: vi.fn() };
const elements = { create: vi.fn(() => element) };
const stripe = { elements: vi.fn(() => elements), confirmPayment: vi.fn() };
const loadStripe = vi.fn(async () => stripe);
vi.mock("@stripe/stripe-js", () => ({ loadStripe }));

describe("stripe payment adapter", () => {
  beforeEach(() => vi.clearAllMocks());

  it("mounts the Payment Element for the intent and confirms without leaving the page", async () => {
    const { mountStripe } = await import("./stripe");
    const el = document.createElement("div");
    stripe.confirmPayment.mockResolvedValue({ paymentIntent: { status: "succeeded" } });
    const mounted = await mountStripe("pk_live_x", "pi_1_secret_2", el);
    expect(loadStripe).toHaveBeenCalledWith("pk_live_x");
    expect(stripe.elements).toHaveBeenCalledWith({ clientSecret: "pi_1_secret_2" });
    expect(elements.create).toHaveBeenCalledWith("payment");
    expect(element.mount).toHaveBeenCalledWith(el);
    expect(mounted.adapter.mode).toBe("stripe");
    expect(await mounted.adapter.confirm({ clientSecret: "pi_1_secret_2", intentId: "pi_1" })).toEqual({
      ok: true,
      status: "succeeded",
    });
    expect(stripe.confirmPayment).toHaveBeenCalledWith(
      expect.objectContaining({ elements, redirect: "if_required" }),
    );
    mounted.unmount();
    expect(element.destroy).toHaveBeenCalled();
  });

  it("passes Stripe's decline message on", async () => {
    const { mountStripe } = await import("./stripe");
    stripe.confirmPayment.mockResolvedValue({ error: { message: "Your card was declined.", code: "card_declined" } });
    const mounted = await mountStripe("pk", "s", document.createElement("div"));
    expect(await mounted.adapter.confirm({ clientSecret: "s", intentId: "pi" })).toEqual({
      ok: false,
      message: "Your card was declined.",
      code: "card_declined",
    });
  });
});
