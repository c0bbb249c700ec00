import { useState, type FormEvent } from "react";
import type { Dog, NewDog } from "../api/client";
import { useApp } from "../context";
import { Empty, ErrorAlert, Field, Loading, Notice, SelectField, TextArea, useLoad } from "../components/ui";
import { errorMessages, type ProblemMessages } from "../lib/problems";
import { formatDate } from "../lib/time";
import { Link, useNav } from "../router";

export const SIZES = [
  { value: "small", label: "Small (under 10 kg)" },
  { value: "medium", label: "Medium (10–25 kg)" },
  { value: "large", label: "Large (25–45 kg)" },
  { value: "giant", label: "Giant (over 45 kg)" },
];
const REQUIRED = ["rabies", "dhpp", "bordetella"];

const STATUS_WORDS: Record<string, string> = {
  "up-to-date": "Vaccinations up to date",
  expiring: "A vaccination expires within 30 days",
  expired: "A required vaccination has expired",
  missing: "A required vaccination is missing",
};

export function VaccinationStatus({ status }: { status: string }) {
  return <span className={`badge badge--vacc-${status}`}>{STATUS_WORDS[status] ?? status}</span>;
}

export function DogsPage() {
  const { api } = useApp();
  const [state, reload] = useLoad(() => api.dogs(), []);
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function remove(dog: Dog) {
    if (!window.confirm(`Remove ${dog.name}? This cannot be undone.`)) return;
    setProblem(null);
    try {
      await api.deleteDog(dog.id);
      setNotice(`${dog.name} was removed.`);
      reload();
    } catch (e) {
      setProblem(errorMessages(e));
    }
  }
  return (
    <>
      <h1 tabIndex={-1}>Your dogs</h1>
      <p>
        <Link to="/dogs/new" className="button primary">
          Add a dog
        </Link>
      </p>
      <ErrorAlert messages={problem} />
      {notice ? <Notice>{notice}</Notice> : null}
      {state.state === "loading" ? <Loading label="Loading your dogs…" /> : null}
      {state.state === "error" ? <ErrorAlert messages={state.messages} /> : null}
      {state.state === "ready" && state.data.items.length === 0 ? (
        <Empty>You have not added a dog yet.</Empty>
      ) : null}
      {state.state === "ready" && state.data.items.length > 0 ? (
        <ul className="cards">
          {state.data.items.map((dog) => (
            <li key={dog.id} className="card">
              <h2>{dog.name}</h2>
              <p>
                {[dog.breed, dog.size, dog.age != null ? `${dog.age} years` : null].filter(Boolean).join(" · ")}
              </p>
              <p>
                <VaccinationStatus status={dog.vaccination_status} />
              </p>
              {dog.vaccinations.length ? (
                <ul className="plain">
                  {dog.vaccinations.map((v, i) => (
                    <li key={i}>
                      {v.name}: expires {formatDate(v.expires_on)}
                    </li>
                  ))}
                </ul>
              ) : null}
              {dog.special_needs.length ? <p>Special needs: {dog.special_needs.join("; ")}</p> : null}
              {dog.emergency_contact ? <p>Emergency contact: {dog.emergency_contact}</p> : null}
              <div className="actions">
                <Link to={`/dogs/${dog.id}`} className="button" aria-label={`Edit ${dog.name}`}>
                  Edit
                </Link>
                <button type="button" className="danger" onClick={() => remove(dog)} aria-label={`Remove ${dog.name}`}>
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

interface VaccRow {
  name: string;
  expires_on: string;
}
export interface DogFormState {
  name: string;
  breed: string;
  age: string;
  size: string;
  vaccinations: VaccRow[];
  special_needs: string;
  emergency_contact: string;
}

function initial(dog?: Dog): DogFormState {
  return {
    name: dog?.name ?? "",
    breed: dog?.breed ?? "",
    age: dog?.age != null ? String(dog.age) : "",
    size: dog?.size ?? "medium",
    vaccinations: dog ? dog.vaccinations.map((v) => ({ ...v })) : REQUIRED.map((name) => ({ name, expires_on: "" })),
    special_needs: dog?.special_needs.join("\n") ?? "",
    emergency_contact: dog?.emergency_contact ?? "",
  };
}

export function validateDog(form: DogFormState): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!form.name.trim()) errors.name = "Enter your dog's name.";
  if (form.age.trim() && !/^\d{1,2}$/.test(form.age.trim())) errors.age = "Enter the age in whole years, 0 to 30.";
  else if (form.age.trim() && Number(form.age) > 30) errors.age = "Enter the age in whole years, 0 to 30.";
  form.vaccinations.forEach((v, i) => {
    if (!v.name.trim() && !v.expires_on) return;
    if (!v.name.trim()) errors[`vaccinations.${i}.name`] = "Enter the vaccine's name.";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.expires_on)) errors[`vaccinations.${i}.expires_on`] = "Enter the expiry date.";
  });
  return errors;
}

export function dogBody(form: DogFormState): NewDog {
  return {
    name: form.name.trim(),
    breed: form.breed.trim() || null,
    age: form.age.trim() ? Number(form.age) : null,
    size: form.size as NewDog["size"],
    vaccinations: form.vaccinations
      .filter((v) => v.name.trim() || v.expires_on)
      .map((v) => ({ name: v.name.trim(), expires_on: v.expires_on })),
    special_needs: form.special_needs
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean),
    emergency_contact: form.emergency_contact.trim() || null,
  };
}

export function DogFormPage({ id }: { id?: string }) {
  const { api } = useApp();
  const [state] = useLoad(() => (id ? api.dog(id) : Promise.resolve(undefined)), [id]);
  if (state.state === "loading") return <Loading label="Loading the dog…" />;
  if (state.state === "error") {
    return (
      <>
        <h1 tabIndex={-1}>Edit dog</h1>
        <ErrorAlert messages={state.messages} />
      </>
    );
  }
  return <DogForm dog={state.data} />;
}

function DogForm({ dog }: { dog?: Dog }) {
  const { api } = useApp();
  const { navigate } = useNav();
  const [form, setForm] = useState<DogFormState>(initial(dog));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<ProblemMessages | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof DogFormState) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const setVacc = (i: number, key: keyof VaccRow) => (value: string) =>
    setForm((f) => ({ ...f, vaccinations: f.vaccinations.map((v, j) => (j === i ? { ...v, [key]: value } : v)) }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const local = validateDog(form);
    setErrors(local);
    if (Object.keys(local).length) {
      setProblem({ summary: "Please correct the fields marked below.", fields: local });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const body = dogBody(form);
      if (dog) await api.updateDog(dog.id, body);
      else await api.addDog(body);
      navigate("/dogs");
    } catch (err) {
      const m = errorMessages(err);
      setProblem(m);
      setErrors(m.fields);
      setBusy(false);
    }
  }
  const title = dog ? `Edit ${dog.name}` : "Add a dog";
  return (
    <>
      <h1 tabIndex={-1}>{title}</h1>
      <form onSubmit={submit} noValidate className="form">
        <ErrorAlert messages={problem} />
        <Field label="Name" name="name" value={form.name} onChange={set("name")} error={errors.name} required />
        <Field label="Breed" name="breed" value={form.breed} onChange={set("breed")} error={errors.breed} />
        <div className="row">
          <Field label="Age (years)" name="age" value={form.age} onChange={set("age")} error={errors.age} inputMode="numeric" />
          <SelectField label="Size" name="size" value={form.size} onChange={set("size")} options={SIZES} error={errors.size} required />
        </div>
        <fieldset>
          <legend>Vaccinations</legend>
          <p className="hint">Rabies, DHPP and bordetella must be valid for every day of a stay.</p>
          {errors.vaccinations ? <p className="error">{errors.vaccinations}</p> : null}
          {form.vaccinations.map((v, i) => (
            <div className="row vacc" key={i}>
              <Field label={`Vaccine ${i + 1}`} name={`vaccination-${i}-name`} value={v.name} onChange={setVacc(i, "name")} error={errors[`vaccinations.${i}.name`]} />
              <Field label={`Vaccine ${i + 1} expires on`} name={`vaccination-${i}-expires`} type="date" value={v.expires_on} onChange={setVacc(i, "expires_on")} error={errors[`vaccinations.${i}.expires_on`]} />
              <button
                type="button"
                className="link"
                aria-label={`Remove vaccine ${i + 1}${v.name ? ` (${v.name})` : ""}`}
                onClick={() => setForm((f) => ({ ...f, vaccinations: f.vaccinations.filter((_, j) => j !== i) }))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() => setForm((f) => ({ ...f, vaccinations: [...f.vaccinations, { name: "", expires_on: "" }] }))}
          >
            Add a vaccination
          </button>
        </fieldset>
        <TextArea label="Special needs" name="special_needs" value={form.special_needs} onChange={set("special_needs")} hint="One per line: medication, diet, behaviour." error={errors.special_needs} />
        <Field label="Emergency contact" name="emergency_contact" value={form.emergency_contact} onChange={set("emergency_contact")} hint="Name and phone of someone to call if we cannot reach you." error={errors.emergency_contact} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : dog ? "Save changes" : "Add dog"}
          </button>
          <Link to="/dogs" className="button">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
