import { useState, type FormEvent } from "react";
import type { Quote } from "../api/contract";
import { newIdempotencyKey } from "../api/client";
import { useApp } from "../context";
import { Empty, ErrorAlert, Field, Loading, SelectField, TextArea, useLoad } from "../components/ui";
import {
  bookingBody,
  DEFAULT_FACILITY,
  describeStay,
  formFieldOf,
  SERVICES,
  validateBooking,
  type BookingForm,
  type FormErrors,
  type ServiceType,
} from "../lib/booking";
import { formatMoney } from "../lib/money";
import { errorMessages, type ProblemMessages } from "../lib/problems";
import { addDays, formatDate, todayIn } from "../lib/time";
import { Link, useNav } from "../router";

function mapServerFields(fields: Record<string, string>): FormErrors {
  const out: FormErrors = {};
  for (const [k, v] of Object.entries(fields)) {
    const key = formFieldOf(k);
    out[key] = out[key] ? `${out[key]} ${v}` : v;
  }
  return out;
}

export function BookPage() {
  const { api } = useApp();
  const [dogs] = useLoad(() => api.dogs(), []);
  if (dogs.state === "loading") return <Loading label="Loading your dogs…" />;
  if (dogs.state === "error") {
    return (
      <>
        <h1 tabIndex={-1}>Book a stay</h1>
        <ErrorAlert messages={dogs.messages} />
      </>
    );
  }
  if (!dogs.data.items.length) {
    return (
      <>
        <h1 tabIndex={-1}>Book a stay</h1>
        <Empty>
          Add a dog first: <Link to="/dogs/new">add a dog</Link>.
        </Empty>
      </>
    );
  }
  return <BookForm dogs={dogs.data.items.map((d) => ({ value: d.id, label: d.name }))} />;
}

function BookForm({ dogs }: { dogs: { value: string; label: string }[] }) {
  const { api, config } = useApp();
  const { navigate } = useNav();
  const tz = config.facilityTimezone;
  const facility = { timeZone: tz, ...DEFAULT_FACILITY };
  const [form, setForm] = useState<BookingForm>({
    dog_id: dogs[0].value,
    service_type: "daycare",
    date: addDays(todayIn(tz), 1),
    start: "08:00",
    end: "17:00",
    nights: "1",
    special_instructions: "",
  });
  const [errors, setErrors] = useState<FormErrors>({});
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [busy, setBusy] = useState<"quote" | "book" | null>(null);
  const [key] = useState(() => newIdempotencyKey("booking"));
  const set = (k: keyof BookingForm) => (value: string) => {
    setForm((f) => ({ ...f, [k]: value }));
    setQuote(null); // a changed form needs a fresh price
  };

  function check(): boolean {
    const local = validateBooking(form, facility);
    setErrors(local);
    if (Object.keys(local).length) {
      setProblem({ summary: "Please correct the fields marked below.", fields: local as Record<string, string> });
      return false;
    }
    setProblem(null);
    return true;
  }

  function fail(err: unknown) {
    const m = errorMessages(err);
    setProblem(m);
    setErrors(mapServerFields(m.fields));
  }

  async function getQuote(e: FormEvent) {
    e.preventDefault();
    if (!check()) return;
    setBusy("quote");
    try {
      setQuote(await api.quote(bookingBody(form, tz)));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  }

  async function book() {
    if (!check()) return;
    setBusy("book");
    try {
      const booking = await api.book(bookingBody(form, tz), key);
      navigate(`/bookings/${booking.id}`);
    } catch (err) {
      fail(err);
      setBusy(null);
    }
  }

  const boarding = form.service_type === "boarding";
  return (
    <>
      <h1 tabIndex={-1}>Book a stay</h1>
      <form onSubmit={getQuote} noValidate className="form">
        <ErrorAlert messages={problem} />
        <SelectField label="Dog" name="dog" value={form.dog_id} onChange={set("dog_id")} options={dogs} error={errors.dog_id} required />
        <fieldset>
          <legend>Service</legend>
          {SERVICES.map((s) => (
            <label key={s.value} className="choice">
              <input
                type="radio"
                name="service"
                value={s.value}
                checked={form.service_type === s.value}
                onChange={() => set("service_type")(s.value as ServiceType)}
              />{" "}
              {s.label}
            </label>
          ))}
          {errors.service_type ? <p className="error">{errors.service_type}</p> : null}
        </fieldset>
        <Field label={boarding ? "Drop-off date" : "Date"} name="date" type="date" value={form.date} onChange={set("date")} error={errors.date} required min={todayIn(tz)} />
        {boarding ? (
          <Field label="Nights" name="nights" value={form.nights} onChange={set("nights")} error={errors.nights} inputMode="numeric" required />
        ) : null}
        <div className="row">
          <Field label="Drop-off time" name="start" type="time" value={form.start} onChange={set("start")} error={errors.start} required hint={`Open 06:00–20:00 (${tz})`} />
          <Field label={boarding ? "Pick-up time (last day)" : "Pick-up time"} name="end" type="time" value={form.end} onChange={set("end")} error={errors.end} required />
        </div>
        <TextArea label="Special instructions" name="special_instructions" value={form.special_instructions} onChange={set("special_instructions")} error={errors.special_instructions} hint="Anything the staff should know for this stay." />
        <button type="submit" className="primary" disabled={busy !== null}>
          {busy === "quote" ? "Checking…" : "Check price and availability"}
        </button>
      </form>
      {quote ? <QuoteView quote={quote} onBook={book} busy={busy === "book"} /> : null}
      <WeekAvailability service={form.service_type} from={/^\d{4}-\d{2}-\d{2}$/.test(form.date) ? form.date : todayIn(tz)} />
    </>
  );
}

/** Places left for the chosen service over the week from the chosen date (before any quote). */
function WeekAvailability({ service, from }: { service: ServiceType; from: string }) {
  const { api } = useApp();
  const [state] = useLoad(() => api.availability(service, from, addDays(from, 6)), [service, from]);
  const label = SERVICES.find((s) => s.value === service)?.label.split(" (")[0] ?? service;
  return (
    <section aria-labelledby="week-heading" className="card">
      <h2 id="week-heading">{label}: places left this week</h2>
      {state.state === "loading" ? <Loading label="Loading availability…" /> : null}
      {state.state === "error" ? <ErrorAlert messages={state.messages} focus={false} /> : null}
      {state.state === "ready" ? (
        <table>
          <caption>From {formatDate(from)}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Places left</th>
            </tr>
          </thead>
          <tbody>
            {state.data.days.map((d) => (
              <tr key={d.date}>
                <td>{formatDate(d.date)}</td>
                <td>{d.places_left > 0 ? `${d.places_left} of ${d.capacity}` : "Full"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function QuoteView({ quote, onBook, busy }: { quote: Quote; onBook: () => void; busy: boolean }) {
  const { config } = useApp();
  return (
    <section aria-labelledby="quote-heading" className="card quote">
      <h2 id="quote-heading">Price and availability</h2>
      <p>
        {SERVICES.find((s) => s.value === quote.service_type)?.label}:{" "}
        {describeStay(quote.service_type as ServiceType, quote.start_time, quote.end_time, config.facilityTimezone)}
      </p>
      <p className="price">
        Price: <strong>{formatMoney(quote.price, quote.currency)}</strong>
      </p>
      <table>
        <caption>Places left each day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Places left</th>
          </tr>
        </thead>
        <tbody>
          {quote.days.map((d) => (
            <tr key={d.date}>
              <td>{formatDate(d.date)}</td>
              <td>
                {d.places_left} of {d.capacity}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {quote.available ? (
        <button type="button" className="primary" onClick={onBook} disabled={busy}>
          {busy ? "Booking…" : `Book for ${formatMoney(quote.price, quote.currency)}`}
        </button>
      ) : (
        <p className="error" role="status">
          Fully booked on at least one of these days. Please choose other dates.
        </p>
      )}
    </section>
  );
}
