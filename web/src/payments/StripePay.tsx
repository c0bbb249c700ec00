// Stripe's Payment Element, loaded only in stripe mode (this module is a separate chunk).
import { useEffect, useRef, useState } from "react";
import type { PaymentAdapter } from "./adapter";
import { mountStripe } from "./stripe";

export default function StripePay(props: {
  publishableKey: string;
  clientSecret: string;
  busy: boolean;
  onPay: (adapter: PaymentAdapter) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const [adapter, setAdapter] = useState<PaymentAdapter | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let unmount: (() => void) | null = null;
    let live = true;
    if (el.current) {
      mountStripe(props.publishableKey, props.clientSecret, el.current).then(
        (m) => {
          if (!live) return m.unmount();
          unmount = m.unmount;
          setAdapter(m.adapter);
        },
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      );
    }
    return () => {
      live = false;
      unmount?.();
    };
  }, [props.publishableKey, props.clientSecret]);
  return (
    <form
      aria-label="Card details"
      onSubmit={(e) => {
        e.preventDefault();
        if (adapter) props.onPay(adapter);
      }}
    >
      {error ? (
        <p className="error" role="alert">
          The card form could not load: {error}
        </p>
      ) : null}
      <div ref={el} />
      <button type="submit" className="primary" disabled={!adapter || props.busy}>
        {props.busy ? "Paying…" : "Pay now"}
      </button>
    </form>
  );
}
