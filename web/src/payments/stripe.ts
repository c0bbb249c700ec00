// Stripe mode: Stripe's Payment Element. This module is imported lazily (dynamic import),
// so local mode never loads Stripe.js and the first bundle stays small.
import { loadStripe, type Stripe, type StripeElements } from "@stripe/stripe-js";
import type { ConfirmResult, PaymentAdapter } from "./adapter";

export interface StripeMount {
  adapter: PaymentAdapter;
  unmount: () => void;
}

export async function mountStripe(publishableKey: string, clientSecret: string, el: HTMLElement): Promise<StripeMount> {
  const stripe: Stripe | null = await loadStripe(publishableKey);
  if (!stripe) throw new Error("Stripe could not be loaded");
  const elements: StripeElements = stripe.elements({ clientSecret });
  const element = elements.create("payment");
  element.mount(el);
  const adapter: PaymentAdapter = {
    mode: "stripe",
    async confirm(): Promise<ConfirmResult> {
      const { error, paymentIntent } = await stripe.confirmPayment({
        elements,
        redirect: "if_required",
        confirmParams: { return_url: window.location.href },
      });
      if (error) return { ok: false, message: error.message ?? "The card was not accepted.", code: error.code };
      return { ok: true, status: paymentIntent?.status ?? "processing" };
    },
  };
  return { adapter, unmount: () => element.destroy() };
}
