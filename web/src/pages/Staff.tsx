import { useState, type FormEvent } from "react";
import type { Booking, Capacity, Owner, RosterEntry } from "../api/client";
import { useApp } from "../context";
import { Empty, ErrorAlert, Field, Loading, Notice, StatusBadge, useLoad } from "../components/ui";
import { SERVICES } from "../lib/booking";
import { errorMessages, type ProblemMessages } from "../lib/problems";
import { formatDate, formatDateTime, formatTime, todayIn } from "../lib/time";
import { Link, useNav } from "../router";
import { VaccinationStatus } from "./Dogs";

export function groupByService(entries: RosterEntry[]): Record<string, RosterEntry[]> {
  const groups: Record<string, RosterEntry[]> = {};
  for (const s of SERVICES) groups[s.value] = [];
  for (const e of entries) (groups[e.service_type] ??= []).push(e);
  for (const list of Object.values(groups)) list.sort((a, b) => a.start_time.localeCompare(b.start_time));
  return groups;
}

export function RosterPage() {
  const { api, config } = useApp();
  const nav = useNav();
  const tz = config.facilityTimezone;
  const fromUrl = new URLSearchParams(nav.search).get("date");
  const [date, setDate] = useState(fromUrl && /^\d{4}-\d{2}-\d{2}$/.test(fromUrl) ? fromUrl : todayIn(tz));
  const [state, reload] = useLoad(() => (date ? api.roster(date) : Promise.resolve({ items: [] })), [date]);
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function act(entry: RosterEntry, action: "in" | "out") {
    setBusy(entry.booking_id);
    setProblem(null);
    try {
      if (action === "in") await api.checkIn(entry.booking_id);
      else await api.checkOut(entry.booking_id);
      setNotice(`${entry.dog_name} is checked ${action}.`);
      reload();
    } catch (e) {
      setProblem(errorMessages(e));
    } finally {
      setBusy(null);
    }
  }
  const groups = state.state === "ready" ? groupByService(state.data.items) : null;
  return (
    <>
      <h1 tabIndex={-1}>Roster</h1>
      <form className="form form--inline" onSubmit={(e) => e.preventDefault()}>
        <Field
          label="Date"
          name="date"
          type="date"
          value={date}
          onChange={(d) => {
            setDate(d);
            setNotice(null);
            window.history.replaceState(null, "", `/app/staff?date=${d}`);
          }}
        />
      </form>
      <ErrorAlert messages={problem} />
      {notice ? <Notice>{notice}</Notice> : null}
      {state.state === "loading" ? <Loading label="Loading the roster…" /> : null}
      {state.state === "error" ? <ErrorAlert messages={state.messages} /> : null}
      {groups
        ? SERVICES.map((s) => (
            <section key={s.value} aria-labelledby={`roster-${s.value}`}>
              <h2 id={`roster-${s.value}`}>
                {s.label.split(" (")[0]} <span className="count">({groups[s.value].length})</span>
              </h2>
              {groups[s.value].length === 0 ? (
                <Empty>No {s.value} bookings on {date ? formatDate(date) : "this day"}.</Empty>
              ) : (
                <ul className="cards">
                  {groups[s.value].map((e) => (
                    <li key={`${e.booking_id}-${e.day}`} className="card roster-entry">
                      <h3>
                        <Link to={`/staff/bookings/${e.booking_id}`}>{e.dog_name}</Link>
                      </h3>
                      <p>
                        {formatTime(e.start_time, tz)}–{formatTime(e.end_time, tz)} <StatusBadge status={e.status} />
                      </p>
                      <div className="actions">
                        {e.status === "confirmed" ? (
                          <button type="button" className="primary" disabled={busy === e.booking_id} onClick={() => act(e, "in")} aria-label={`Check in ${e.dog_name}`}>
                            Check in
                          </button>
                        ) : null}
                        {e.status === "checked_in" ? (
                          <button type="button" className="primary" disabled={busy === e.booking_id} onClick={() => act(e, "out")} aria-label={`Check out ${e.dog_name}`}>
                            Check out
                          </button>
                        ) : null}
                        <Link to={`/staff/bookings/${e.booking_id}`} className="button" aria-label={`Care card for ${e.dog_name}`}>
                          Care card
                        </Link>
                      </div>
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

export function CareCardPage({ id }: { id: string }) {
  const { api, config } = useApp();
  const tz = config.facilityTimezone;
  const [state, reload] = useLoad(() => api.careCard(id), [id]);
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (state.state === "loading") return <Loading label="Loading the care card…" />;
  if (state.state === "error") {
    return (
      <>
        <h1 tabIndex={-1}>Care card</h1>
        <ErrorAlert messages={state.messages} />
      </>
    );
  }
  const { booking, dog, owner } = state.data;
  async function act(action: "in" | "out") {
    setBusy(true);
    setProblem(null);
    try {
      const b: Booking = action === "in" ? await api.checkIn(booking.id) : await api.checkOut(booking.id);
      setNotice(`${dog.name} is checked ${action} (${b.status.replace("_", " ")}).`);
      reload();
    } catch (e) {
      setProblem(errorMessages(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <h1 tabIndex={-1}>Care card: {dog.name}</h1>
      <ErrorAlert messages={problem} />
      {notice ? <Notice>{notice}</Notice> : null}
      <section aria-labelledby="stay-heading" className="card">
        <h2 id="stay-heading">This stay</h2>
        <dl className="details">
          <dt>Service</dt>
          <dd>{booking.service_type}</dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={booking.status} />
          </dd>
          <dt>From</dt>
          <dd>{formatDateTime(booking.start_time, tz)}</dd>
          <dt>Until</dt>
          <dd>{formatDateTime(booking.end_time, tz)}</dd>
          <dt>Special instructions</dt>
          <dd>{booking.special_instructions || "None"}</dd>
          {booking.checked_in_at ? (
            <>
              <dt>Checked in</dt>
              <dd>{formatDateTime(booking.checked_in_at, tz)}</dd>
            </>
          ) : null}
          {booking.checked_out_at ? (
            <>
              <dt>Checked out</dt>
              <dd>{formatDateTime(booking.checked_out_at, tz)}</dd>
            </>
          ) : null}
        </dl>
        <div className="actions">
          {booking.status === "confirmed" ? (
            <button type="button" className="primary" disabled={busy} onClick={() => act("in")}>
              Check in
            </button>
          ) : null}
          {booking.status === "checked_in" ? (
            <button type="button" className="primary" disabled={busy} onClick={() => act("out")}>
              Check out
            </button>
          ) : null}
        </div>
      </section>
      <section aria-labelledby="dog-heading" className="card">
        <h2 id="dog-heading">{dog.name}</h2>
        <p>{[dog.breed, dog.size, dog.age != null ? `${dog.age} years` : null].filter(Boolean).join(" · ")}</p>
        <p>
          <VaccinationStatus status={dog.vaccination_status} />
        </p>
        <h3>Vaccinations</h3>
        {dog.vaccinations.length ? (
          <ul className="plain">
            {dog.vaccinations.map((v, i) => (
              <li key={i}>
                {v.name}: expires {formatDate(v.expires_on)}
                {v.status ? <> <StatusBadge status={v.status} /></> : null}
              </li>
            ))}
          </ul>
        ) : (
          <Empty>No vaccinations recorded.</Empty>
        )}
        <h3>Special needs</h3>
        {dog.special_needs.length ? (
          <ul className="plain">
            {dog.special_needs.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ul>
        ) : (
          <Empty>None.</Empty>
        )}
        <h3>Emergency contact</h3>
        <p>{dog.emergency_contact || "None given."}</p>
      </section>
      <section aria-labelledby="owner-heading" className="card">
        <h2 id="owner-heading">Owner</h2>
        <dl className="details">
          <dt>Name</dt>
          <dd>{owner.name}</dd>
          <dt>Phone</dt>
          <dd>{owner.phone ? <a href={`tel:${owner.phone.replace(/[^+\d]/g, "")}`}>{owner.phone}</a> : "Not given"}</dd>
          <dt>Email</dt>
          <dd>{owner.email}</dd>
        </dl>
      </section>
      <p>
        <Link to="/staff">Back to the roster</Link>
      </p>
    </>
  );
}

export function CapacityPage() {
  const { api, config } = useApp();
  const today = todayIn(config.facilityTimezone);
  // There is no read of the configured capacity by itself: today's availability carries it.
  const [state] = useLoad(async () => {
    const all = await Promise.all(SERVICES.map((s) => api.availability(s.value, today, today)));
    const out: Record<string, { capacity: number; booked: number }> = {};
    all.forEach((a, i) => {
      const d = a.days[0];
      out[SERVICES[i].value] = { capacity: d?.capacity ?? 0, booked: d?.booked ?? 0 };
    });
    return out;
  }, [today]);
  const [saved, setSaved] = useState<Capacity | null>(null);
  if (state.state === "loading") return <Loading label="Loading capacity…" />;
  return (
    <>
      <h1 tabIndex={-1}>Capacity</h1>
      {state.state === "error" ? <ErrorAlert messages={state.messages} /> : null}
      <p>Places per day for each service. Today ({formatDate(today)}):</p>
      {state.state === "ready"
        ? SERVICES.map((s) => (
            <CapacityForm
              key={s.value}
              service={s.value}
              label={s.label.split(" (")[0]}
              current={saved ? saved[s.value] : state.data[s.value].capacity}
              booked={state.data[s.value].booked}
              onSaved={setSaved}
            />
          ))
        : null}
    </>
  );
}

function CapacityForm(props: {
  service: "daycare" | "boarding" | "parking";
  label: string;
  current: number;
  booked: number;
  onSaved: (c: Capacity) => void;
}) {
  const { api } = useApp();
  const [value, setValue] = useState(String(props.current));
  const [error, setError] = useState<string | undefined>();
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setNotice(null);
    if (!/^\d{1,5}$/.test(value.trim())) {
      setError("Enter a whole number of places.");
      return;
    }
    setError(undefined);
    setBusy(true);
    setProblem(null);
    try {
      const saved = await api.setCapacity(props.service, Number(value));
      props.onSaved(saved);
      setNotice(`${props.label}: ${saved[props.service]} places a day.`);
    } catch (err) {
      const m = errorMessages(err);
      setProblem(m);
      setError(m.fields.daily_capacity);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} noValidate className="card form" aria-labelledby={`cap-${props.service}`}>
      <h2 id={`cap-${props.service}`}>{props.label}</h2>
      <p>
        {props.booked} booked today of {props.current} places.
      </p>
      <ErrorAlert messages={problem} />
      {notice ? <Notice>{notice}</Notice> : null}
      <Field label={`${props.label} places per day`} name={`capacity-${props.service}`} value={value} onChange={setValue} error={error} inputMode="numeric" />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Saving…" : `Save ${props.label.toLowerCase()} capacity`}
      </button>
    </form>
  );
}

export function OwnersPage() {
  const { api } = useApp();
  const [state] = useLoad(() => api.owners(), []);
  const [more, setMore] = useState<{ items: Owner[]; cursor: string | null | undefined }>({ items: [], cursor: undefined });
  const [loadingMore, setLoadingMore] = useState(false);
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const cursor = more.cursor === undefined && state.state === "ready" ? state.data.next_cursor : more.cursor;
  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    setProblem(null);
    try {
      const page = await api.owners(cursor);
      setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.next_cursor ?? null }));
    } catch (e) {
      setProblem(errorMessages(e));
    } finally {
      setLoadingMore(false);
    }
  }
  const owners = state.state === "ready" ? [...state.data.items, ...more.items] : [];
  return (
    <>
      <h1 tabIndex={-1}>Owners</h1>
      {state.state === "loading" ? <Loading label="Loading owners…" /> : null}
      {state.state === "error" ? <ErrorAlert messages={state.messages} /> : null}
      {state.state === "ready" && owners.length === 0 ? <Empty>No owners yet.</Empty> : null}
      {owners.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption>Registered owners</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Phone</th>
              </tr>
            </thead>
            <tbody>
              {owners.map((o) => (
                <tr key={o.id}>
                  <td>{o.name}</td>
                  <td>{o.email}</td>
                  <td>{o.phone ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorAlert messages={problem} />
      {loadingMore ? <Loading label="Loading more owners…" /> : null}
      {cursor && !loadingMore ? (
        <button type="button" onClick={loadMore}>
          Show more owners
        </button>
      ) : null}
    </>
  );
}
