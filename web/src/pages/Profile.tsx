import { createContext, useContext, useState, type FormEvent, type ReactNode } from "react";
import type { Owner, RegisterOwner } from "../api/client";
import { useApp } from "../context";
import { ErrorAlert, Field, Loading, Notice, useLoad } from "../components/ui";
import { ApiError, errorMessages, type ProblemMessages } from "../lib/problems";

const OwnerContext = createContext<{ owner: Owner; setOwner: (o: Owner) => void } | null>(null);

export function useOwner(): Owner | null {
  return useContext(OwnerContext)?.owner ?? null;
}

/** Owner screens need a registered profile: on the first visit, register it here first. */
export function ProfileGate({ children, heading = "h1" }: { children: ReactNode; heading?: "h1" | "h2" }) {
  const { api, session } = useApp();
  const [registered, setRegistered] = useState<Owner | null>(null);
  const [state] = useLoad(
    () =>
      api.profile().catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [session?.subject],
  );
  if (state.state === "loading") return <Loading label="Loading your profile…" />;
  if (state.state === "error") return <ErrorAlert messages={state.messages} />;
  const owner = registered ?? state.data;
  if (!owner) {
    const H = heading;
    return (
      <>
        <H tabIndex={-1}>Welcome! Tell us about yourself</H>
        <p>We need your name and how to reach you before you add dogs or book.</p>
        <OwnerForm onSaved={setRegistered} />
      </>
    );
  }
  return <OwnerContext.Provider value={{ owner, setOwner: setRegistered }}>{children}</OwnerContext.Provider>;
}

interface FormState {
  name: string;
  phone: string;
  street: string;
  city: string;
  state: string;
  zip: string;
}

function initial(owner?: Owner | null): FormState {
  return {
    name: owner?.name ?? "",
    phone: owner?.phone ?? "",
    street: owner?.address?.street ?? "",
    city: owner?.address?.city ?? "",
    state: owner?.address?.state ?? "",
    zip: owner?.address?.zip ?? "",
  };
}

export function ownerBody(form: FormState): RegisterOwner {
  const body: RegisterOwner = { name: form.name.trim() };
  if (form.phone.trim()) body.phone = form.phone.trim();
  const address = { street: form.street.trim(), city: form.city.trim(), state: form.state.trim(), zip: form.zip.trim() };
  if (Object.values(address).some(Boolean)) body.address = address;
  return body;
}

export function validateOwner(form: FormState): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!form.name.trim()) errors.name = "Enter your name.";
  if (form.phone.trim() && !/^\+?[0-9][0-9 ()-]{4,24}$/.test(form.phone.trim())) {
    errors.phone = "Enter a phone number of digits, spaces, brackets or dashes, for example +1 555 0100.";
  }
  const address = [form.street, form.city, form.state, form.zip].map((s) => s.trim());
  if (address.some(Boolean)) {
    const names = ["address.street", "address.city", "address.state", "address.zip"];
    const words = ["street", "city", "state", "ZIP code"];
    address.forEach((v, i) => {
      if (!v) errors[names[i]] = `Enter the ${words[i]}, or leave the whole address empty.`;
    });
  }
  return errors;
}

function OwnerForm({ owner, onSaved }: { owner?: Owner | null; onSaved: (o: Owner) => void }) {
  const { api, session } = useApp();
  const [form, setForm] = useState<FormState>(initial(owner));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const set = (key: keyof FormState) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const local = validateOwner(form);
    setErrors(local);
    if (Object.keys(local).length) {
      setProblem({ summary: "Please correct the fields marked below.", fields: local });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const body = ownerBody(form);
      const result = owner ? await api.updateProfile(body) : await api.register(body);
      setSaved(true);
      onSaved(result);
    } catch (err) {
      const m = errorMessages(err);
      setProblem(m);
      setErrors(m.fields);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} noValidate className="form">
      <ErrorAlert messages={problem} />
      {saved && owner ? <Notice>Your profile is saved.</Notice> : null}
      <Field label="Email" name="email" value={owner?.email ?? session?.email ?? ""} onChange={() => {}} readOnly hint="From your sign-in account." />
      <Field label="Name" name="name" value={form.name} onChange={set("name")} error={errors.name} required autoComplete="name" />
      <Field label="Phone" name="phone" type="tel" value={form.phone} onChange={set("phone")} error={errors.phone} autoComplete="tel" inputMode="tel" />
      <fieldset>
        <legend>Address</legend>
        <Field label="Street" name="street" value={form.street} onChange={set("street")} error={errors["address.street"]} autoComplete="street-address" />
        <Field label="City" name="city" value={form.city} onChange={set("city")} error={errors["address.city"]} autoComplete="address-level2" />
        <div className="row">
          <Field label="State" name="state" value={form.state} onChange={set("state")} error={errors["address.state"]} autoComplete="address-level1" />
          <Field label="ZIP code" name="zip" value={form.zip} onChange={set("zip")} error={errors["address.zip"]} autoComplete="postal-code" />
        </div>
      </fieldset>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Saving…" : owner ? "Save profile" : "Register"}
      </button>
    </form>
  );
}

export function ProfilePage() {
  return (
    <ProfileGate>
      <ProfileEditor />
    </ProfileGate>
  );
}

function ProfileEditor() {
  const ctx = useContext(OwnerContext)!;
  return (
    <>
      <h1 tabIndex={-1}>Your profile</h1>
      <OwnerForm owner={ctx.owner} onSaved={ctx.setOwner} />
    </>
  );
}
