import { lazy, Suspense, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import type { Booking, Payment } from "../api/client";
import { newIdempotencyKey } from "../api/client";
import type { CancellationQuote } from "../api/contract";
import { useApp } from "../context";
import { Empty, ErrorAlert, Field, Loading, Notice, StatusBadge, useLoad } from "../components/ui";
import { describeStay, SERVICES, type ServiceType } from "../lib/booking";
import { formatMoney } from "../lib/money";
import { errorMessages, type ProblemMessages } from "../lib/problems";
import { formatDateTime } from "../lib/time";
import type { Card, PaymentAdapter } from "../payments/adapter";
import { createLocalAdapter, validateCard } from "../payments/local";
import { Link } from "../router";

const StripePay = lazy(() => import("../payments/StripePay"));

const ENDED = new Set(["cancelled", "completed", "expired"]);

function serviceLabel(s: string): string {
  return SERVICES.find((x) => x.value === s)?.label.split(" (")[0] ?? s;
}

export function splitBookings(items: Booking[], now: Date = new Date()): { upcoming: Booking[]; past: Booking[] } {
  const upcoming: Booking[] = [];
  const past: Booking[] = [];
  for (const b of items) {
    if (ENDED.has(b.status) || new Date(b.end_time) < now) past.push(b);
    else upcoming.push(b);
  }
  upcoming.sort((a, b) => a.start_time.localeCompare(b.start_time));
  past.sort((a, b) => b.start_time.localeCompare(a.start_time));
  return { upcoming, past };
}

export function BookingsPage() {
  const { api, config } = useApp();
  const [state] = useLoad(async () => {
    const [bookings, dogs] = await Promise.all([api.bookings(), api.dogs()]);
    // Each booking's payment, for its status beside the booking (a missing one is left out).
    const paid = bookings.items.filter((b) => b.payment_id);
    const payments = await Promise.all(paid.map((b) => api.payment(b.payment_id!).catch(() => null)));
    return {
      bookings: bookings.items,
      names: new Map(dogs.items.map((d) => [d.id, d.name])),
      payments: new Map(payments.filter((p): p is Payment => p !== null).map((p) => [p.booking_id, p])),
    };
  }, []);
  const tz = config.facilityTimezone;
  const split = useMemo(() => (state.state === "ready" ? splitBookings(state.data.bookings) : null), [state]);
  return (
    <>
      <h1 tabIndex={-1}>Your bookings</h1>
      <p>
        <Link to="/book" className="button primary">
          Book a stay
        </Link>
      </p>
      {state.state === "loading" ? <Loading label="Loading your bookings…" /> : null}
      {state.state === "error" ? <ErrorAlert messages={state.messages} /> : null}
      {split && state.state === "ready"
        ? (["upcoming", "past"] as const).map((group) => (
            <section key={group} aria-labelledby={`${group}-heading`}>
              <h2 id={`${group}-heading`}>{group === "upcoming" ? "Upcoming" : "Past and cancelled"}</h2>
              {split[group].length === 0 ? (
                <Empty>{group === "upcoming" ? "No upcoming bookings." : "No past bookings."}</Empty>
              ) : (
                <ul className="cards">
                  {split[group].map((b) => (
                    <li key={b.id} className="card">
                      <h3>
                        <Link to={`/bookings/${b.id}`}>
                          {serviceLabel(b.service_type)} for {state.data.names.get(b.dog_id) ?? "your dog"}
                        </Link>
                      </h3>
                      <p>{describeStay(b.service_type as ServiceType, b.start_time, b.end_time, tz)}</p>
                      <p>
                        <StatusBadge status={b.status} /> {formatMoney(b.price, b.currency)}
                        {b.payment_id ? "" : b.status === "pending" ? " · not paid yet" : ""}
                      </p>
                      {state.data.payments.get(b.id) ? (
                        <p>
                          Payment: <StatusBadge status={state.data.payments.get(b.id)!.status} />
                          {state.data.payments.get(b.id)!.amount_refunded !== "0.00"
                            ? ` ${formatMoney(state.data.payments.get(b.id)!.amount_refunded, b.currency)} refunded`
                            : ""}
                        </p>
                      ) : null}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))
        : null}
    </>
  );
}

export function BookingPage({ id }: { id: string }) {
  const { api } = useApp();
  const [booking, setBooking] = useState<Booking | null>(null);
  const [state, reload] = useLoad(() => api.booking(id), [id]);
  useEffect(() => {
    if (state.state === "ready") setBooking(state.data);
  }, [state]);
  if (state.state === "error") {
    return (
      <>
        <h1 tabIndex={-1}>Booking</h1>
        <ErrorAlert messages={state.messages} />
      </>
    );
  }
  if (!booking) return <Loading label="Loading the booking…" />;
  return <BookingDetail booking={booking} onChange={setBooking} reload={reload} />;
}

function BookingDetail({ booking, onChange, reload }: { booking: Booking; onChange: (b: Booking) => void; reload: () => void }) {
  const { api, config } = useApp();
  const tz = config.facilityTimezone;
  const [payment] = useLoad(
    () => (booking.payment_id ? api.payment(booking.payment_id) : Promise.resolve(null)),
    [booking.payment_id, booking.status],
  );
  return (
    <>
      <h1 tabIndex={-1}>
        {serviceLabel(booking.service_type)} booking
      </h1>
      <dl className="details">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={booking.status} />
        </dd>
        <dt>From</dt>
        <dd>{formatDateTime(booking.start_time, tz)}</dd>
        <dt>Until</dt>
        <dd>{formatDateTime(booking.end_time, tz)}</dd>
        <dt>Price</dt>
        <dd>{formatMoney(booking.price, booking.currency)}</dd>
        {booking.special_instructions ? (
          <>
            <dt>Special instructions</dt>
            <dd>{booking.special_instructions}</dd>
          </>
        ) : null}
        {booking.status === "pending" && booking.hold_expires_at ? (
          <>
            <dt>Held until</dt>
            <dd>{formatDateTime(booking.hold_expires_at, tz)} — pay before then or the place is released.</dd>
          </>
        ) : null}
      </dl>
      {booking.status === "confirmed" ? <Notice>Your booking is confirmed. See you then!</Notice> : null}
      {booking.status === "expired" ? <p>This booking was not paid in time and its place was released.</p> : null}
      <PaymentDetails state={payment} />
      {booking.status === "pending" ? <PaySection booking={booking} onConfirmed={onChange} /> : null}
      {["pending", "confirmed"].includes(booking.status) ? <CancelSection booking={booking} onCancelled={(b) => { onChange(b); reload(); }} /> : null}
      <p>
        <Link to="/bookings">All your bookings</Link>
      </p>
    </>
  );
}

function PaymentDetails({ state }: { state: ReturnType<typeof useLoad<Payment | null>>[0] }) {
  if (state.state === "loading") return <Loading label="Loading the payment…" />;
  if (state.state === "error") return <ErrorAlert messages={state.messages} focus={false} />;
  const p = state.data;
  if (!p) return null;
  return (
    <section aria-labelledby="payment-heading" className="card">
      <h2 id="payment-heading">Payment</h2>
      <dl className="details">
        <dt>Amount</dt>
        <dd>{formatMoney(p.amount, p.currency)}</dd>
        <dt>Payment status</dt>
        <dd>
          <StatusBadge status={p.status} />
        </dd>
        {p.amount_refunded && p.amount_refunded !== "0.00" ? (
          <>
            <dt>Refunded</dt>
            <dd>{formatMoney(p.amount_refunded, p.currency)}</dd>
          </>
        ) : null}
        {p.failure_reason ? (
          <>
            <dt>Last attempt</dt>
            <dd>{p.failure_reason}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** After Stripe accepts the card, the webhook confirms the booking: wait for it. */
export async function waitForStatus(
  load: () => Promise<Booking>,
  done: (b: Booking) => boolean,
  { attempts = 40, delayMs = 750 }: { attempts?: number; delayMs?: number } = {},
): Promise<Booking> {
  let last = await load();
  for (let i = 0; i < attempts && !done(last); i++) {
    await new Promise((r) => setTimeout(r, delayMs));
    last = await load();
  }
  return last;
}

function PaySection({ booking, onConfirmed }: { booking: Booking; onConfirmed: (b: Booking) => void }) {
  const { api, config } = useApp();
  const [payment, setPayment] = useState<Payment | null>(null);
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [phase, setPhase] = useState<"idle" | "starting" | "card" | "paying" | "confirming">("idle");
  const [key] = useState(() => newIdempotencyKey("payment"));

  async function start() {
    setPhase("starting");
    setProblem(null);
    try {
      setPayment(await api.pay(booking.id, key));
      setPhase("card");
    } catch (e) {
      setProblem(errorMessages(e));
      setPhase("idle");
    }
  }

  async function pay(adapter: PaymentAdapter, card?: Card) {
    if (!payment?.client_secret || !payment.provider_reference) return;
    setPhase("paying");
    setProblem(null);
    const result = await adapter.confirm({ clientSecret: payment.client_secret, intentId: payment.provider_reference, card });
    if (!result.ok) {
      setProblem({ summary: `The payment did not go through: ${result.message} Your booking is still held; you can try again.`, fields: {} });
      setPhase("card");
      return;
    }
    setPhase("confirming");
    try {
      const b = await waitForStatus(() => api.booking(booking.id), (x) => x.status !== "pending");
      if (b.status === "pending") {
        setProblem({ summary: "Your payment was received but the booking is not confirmed yet. Reload this page in a minute.", fields: {} });
      }
      onConfirmed(b);
    } catch (e) {
      setProblem(errorMessages(e));
    }
    setPhase("card");
  }

  return (
    <section aria-labelledby="pay-heading" className="card">
      <h2 id="pay-heading">Pay {formatMoney(booking.price, booking.currency)}</h2>
      <ErrorAlert messages={problem} />
      {phase === "idle" || phase === "starting" ? (
        <button type="button" className="primary" onClick={start} disabled={phase === "starting"}>
          {phase === "starting" ? "Preparing…" : "Pay by card"}
        </button>
      ) : null}
      {phase === "confirming" ? <Loading label="Payment accepted — confirming your booking…" /> : null}
      {payment && (phase === "card" || phase === "paying") ? (
        config.payments.mode === "stripe" ? (
          <Suspense fallback={<Loading label="Loading the card form…" />}>
            <StripePay publishableKey={config.payments.publishableKey} clientSecret={payment.client_secret ?? ""} busy={phase === "paying"} onPay={(a) => pay(a)} />
          </Suspense>
        ) : (
          <LocalCardForm busy={phase === "paying"} onPay={(card) => pay(localAdapter(config), card)} />
        )
      ) : null}
    </section>
  );
}

function localAdapter(config: ReturnType<typeof useApp>["config"]): PaymentAdapter {
  return createLocalAdapter({
    stripeApiBase: config.payments.stripeApiBase ?? "",
    publishableKey: config.payments.publishableKey,
  });
}

function LocalCardForm({ busy, onPay }: { busy: boolean; onPay: (card: Card) => void }) {
  const [card, setCard] = useState<Card>({ number: "", expMonth: "", expYear: "", cvc: "" });
  const [errors, setErrors] = useState<Partial<Record<keyof Card, string>>>({});
  const firstError = useRef<string | null>(null);
  const set = (k: keyof Card) => (v: string) => setCard((c) => ({ ...c, [k]: v }));
  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateCard(card);
    setErrors(found);
    firstError.current = Object.keys(found)[0] ?? null;
    if (firstError.current) return;
    onPay(card);
  }
  return (
    <form onSubmit={submit} noValidate className="form" aria-label="Card details">
      <p className="hint">Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.</p>
      <Field label="Card number" name="cardnumber" value={card.number} onChange={set("number")} error={errors.number} inputMode="numeric" autoComplete="cc-number" required />
      <div className="row">
        <Field label="Expiry month" name="exp-month" value={card.expMonth} onChange={set("expMonth")} error={errors.expMonth} inputMode="numeric" autoComplete="cc-exp-month" required />
        <Field label="Expiry year" name="exp-year" value={card.expYear} onChange={set("expYear")} error={errors.expYear} inputMode="numeric" autoComplete="cc-exp-year" required />
        <Field label="Security code" name="cvc" value={card.cvc} onChange={set("cvc")} error={errors.cvc} inputMode="numeric" autoComplete="cc-csc" required />
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Paying…" : "Pay now"}
      </button>
    </form>
  );
}

function CancelSection({ booking, onCancelled }: { booking: Booking; onCancelled: (b: Booking) => void }) {
  const { api, config } = useApp();
  const [quote, setQuote] = useState<CancellationQuote | null>(null);
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (quote?.cancellable) confirmRef.current?.focus();
  }, [quote]);

  async function ask() {
    setBusy(true);
    setProblem(null);
    try {
      setQuote(await api.cancellation(booking.id));
    } catch (e) {
      setProblem(errorMessages(e));
    } finally {
      setBusy(false);
    }
  }
  async function cancel() {
    setBusy(true);
    setProblem(null);
    try {
      onCancelled(await api.cancel(booking.id));
      setQuote(null);
    } catch (e) {
      setProblem(errorMessages(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="cancel-heading" className="card">
      <h2 id="cancel-heading">Cancel this booking</h2>
      <ErrorAlert messages={problem} />
      {!quote ? (
        <button type="button" onClick={ask} disabled={busy}>
          {busy ? "Checking…" : "Cancel booking…"}
        </button>
      ) : quote.cancellable ? (
        <div>
          <p className="refund">
            {quote.refund != null
              ? `You will get ${formatMoney(quote.refund, quote.currency)} back (${quote.refund_percent}% of what you paid).`
              : "Nothing has been paid, so nothing will be charged."}
            {quote.full_refund_until ? ` A full refund applies until ${formatDateTime(quote.full_refund_until, config.facilityTimezone)}.` : ""}
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={cancel} disabled={busy} ref={confirmRef}>
              {busy ? "Cancelling…" : "Yes, cancel the booking"}
            </button>
            <button type="button" onClick={() => setQuote(null)} disabled={busy}>
              Keep the booking
            </button>
          </div>
        </div>
      ) : (
        <p>This booking can no longer be cancelled{quote.reason ? `: ${quote.reason}` : "."}</p>
      )}
    </section>
  );
}
