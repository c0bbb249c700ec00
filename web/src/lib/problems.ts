// RFC 9457 problem documents (the API's only error shape) turned into words for people.

export interface FieldProblem {
  field: string;
  message: string;
  code?: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string | null;
  errors?: FieldProblem[] | null;
}

/** What a screen shows: one sentence at the top, and a message per form field. */
export interface ProblemMessages {
  summary: string;
  fields: Record<string, string>;
}

export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Problem).title === "string" &&
    typeof (value as Problem).status === "number"
  );
}

// The API names fields by their location ("body.address.zip", "query.date"); forms name
// them by their path in the submitted object ("address.zip").
const LOCATIONS = new Set(["body", "query", "path", "header"]);

export function fieldKey(location: string): string {
  const parts = location.split(".");
  if (parts.length > 1 && LOCATIONS.has(parts[0])) parts.shift();
  return parts.join(".");
}

const STATUS_WORDS: Record<number, string> = {
  401: "Your session has ended. Please sign in again.",
  403: "You are not allowed to do this.",
  404: "We could not find that. It may have been removed.",
  412: "Someone else changed this meanwhile. Reload it and try again.",
  413: "That is too much data to send at once.",
  429: "Too many requests. Please wait a moment and try again.",
  502: "The payment provider did not answer. Nothing was charged; please try again.",
  503: "The service is busy right now. Please try again in a moment.",
};

export function problemMessages(problem: Problem): ProblemMessages {
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const e of problem.errors ?? []) {
    const key = fieldKey(e.field);
    const message = sentence(e.message);
    // Several rules can fail for one field: show them all beside it.
    fields[key] = fields[key] ? `${fields[key]} ${message}` : message;
    if (!key) unplaced.push(message);
  }
  let summary: string;
  if (problem.status === 422 && problem.errors?.length) {
    const n = Object.keys(fields).length;
    summary = n === 1 ? "Please correct the field marked below." : `Please correct the ${n} fields marked below.`;
  } else if (problem.detail) {
    summary = `${problem.title}: ${sentence(problem.detail)}`;
  } else {
    summary = STATUS_WORDS[problem.status] ?? `${problem.title}.`;
  }
  if (problem.status === 429 || problem.status === 401 || problem.status === 503) {
    summary = `${summary} ${STATUS_WORDS[problem.status]}`.trim();
  }
  if (unplaced.length) summary = `${summary} ${unplaced.join(" ")}`;
  return { summary, fields };
}

/** Any failure (problem document, network error, odd response) as words. */
export function errorMessages(error: unknown): ProblemMessages {
  if (error instanceof ApiError) return problemMessages(error.problem);
  if (isProblem(error)) return problemMessages(error);
  if (error instanceof TypeError) {
    return { summary: "Could not reach the server. Check your connection and try again.", fields: {} };
  }
  const text = error instanceof Error ? error.message : String(error);
  return { summary: `Something went wrong: ${text}`, fields: {} };
}

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const capital = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A failed API call, carrying the problem document (or one made up from the status). */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
    this.name = "ApiError";
  }
  get status(): number {
    return this.problem.status;
  }
}

export function toProblem(status: number, body: unknown): Problem {
  if (isProblem(body)) return body;
  return { type: "about:blank", title: `Request failed (${status})`, status };
}
