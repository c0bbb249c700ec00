// The booking form: what the owner fills in, checked in the browser the way the server
// checks it (so most mistakes are named before any request), then turned into the API body.
import { addDays, formatDate, zonedParts, zonedToUtcIso } from "./time";

export type ServiceType = "daycare" | "boarding" | "parking";
export const SERVICES: { value: ServiceType; label: string }[] = [
  { value: "daycare", label: "Daycare (one day)" },
  { value: "boarding", label: "Boarding (overnight stays)" },
  { value: "parking", label: "Parking (a few hours)" },
];

export interface BookingForm {
  dog_id: string;
  service_type: ServiceType;
  date: string; // YYYY-MM-DD in the facility's zone
  start: string; // HH:MM drop-off
  end: string; // HH:MM pick-up
  nights: string; // boarding only
  special_instructions: string;
}

export interface Facility {
  timeZone: string;
  openingHour: number;
  closingHour: number;
}

export const DEFAULT_FACILITY: Omit<Facility, "timeZone"> = { openingHour: 6, closingHour: 20 };
export const MAX_PARKING_HOURS = 12;
export const MAX_BOARDING_NIGHTS = 30;

export interface BookingBody {
  dog_id: string;
  service_type: ServiceType;
  start_time: string;
  end_time: string;
  special_instructions?: string;
}

export type FormErrors = Partial<Record<keyof BookingForm | "start_time" | "end_time", string>>;

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/** Every mistake in the form, by field; empty when the form can be sent. */
export function validateBooking(form: BookingForm, facility: Facility, now: Date = new Date()): FormErrors {
  const errors: FormErrors = {};
  if (!form.dog_id) errors.dog_id = "Choose a dog.";
  if (!DATE.test(form.date)) errors.date = "Enter a date.";
  if (!TIME.test(form.start)) errors.start = "Enter a drop-off time (HH:MM).";
  if (!TIME.test(form.end)) errors.end = "Enter a pick-up time (HH:MM).";
  const hours = `${String(facility.openingHour).padStart(2, "0")}:00–${String(facility.closingHour).padStart(2, "0")}:00`;
  for (const key of ["start", "end"] as const) {
    if (errors[key]) continue;
    const m = minutes(form[key]);
    if (m < facility.openingHour * 60 || m > facility.closingHour * 60) {
      errors[key] = `We are open ${hours}.`;
    }
  }
  let nights = 0;
  if (form.service_type === "boarding") {
    nights = Number(form.nights);
    if (!Number.isInteger(nights) || nights < 1) errors.nights = "Boarding is at least one night.";
    else if (nights > MAX_BOARDING_NIGHTS) errors.nights = `Boarding is at most ${MAX_BOARDING_NIGHTS} nights.`;
  } else if (!errors.start && !errors.end) {
    const length = minutes(form.end) - minutes(form.start);
    if (length <= 0) errors.end = "Pick-up must be after drop-off.";
    else if (form.service_type === "parking" && length > MAX_PARKING_HOURS * 60) {
      errors.end = `Parking is at most ${MAX_PARKING_HOURS} hours.`;
    }
  }
  if (!errors.date && !errors.start) {
    const start = new Date(zonedToUtcIso(form.date, form.start, facility.timeZone));
    if (start.getTime() < now.getTime()) errors.date = "That time has passed: choose a later date or time.";
  }
  if (form.special_instructions.length > 2000) errors.special_instructions = "Keep it under 2000 characters.";
  return errors;
}

export function bookingBody(form: BookingForm, timeZone: string): BookingBody {
  const endDate = form.service_type === "boarding" ? addDays(form.date, Number(form.nights)) : form.date;
  const body: BookingBody = {
    dog_id: form.dog_id,
    service_type: form.service_type,
    start_time: zonedToUtcIso(form.date, form.start, timeZone),
    end_time: zonedToUtcIso(endDate, form.end, timeZone),
  };
  const notes = form.special_instructions.trim();
  if (notes) body.special_instructions = notes;
  return body;
}

/** Server field names -> the form's fields, so server errors appear beside the right input. */
export function formFieldOf(apiField: string): keyof BookingForm {
  switch (apiField) {
    case "start_time":
      return "start";
    case "end_time":
      return "end";
    case "dog_id":
    case "service_type":
    case "special_instructions":
      return apiField;
    default:
      return "date";
  }
}

export function describeStay(service: ServiceType, startIso: string, endIso: string, timeZone: string): string {
  const a = zonedParts(startIso, timeZone);
  const b = zonedParts(endIso, timeZone);
  if (service === "boarding") return `${formatDate(a.date)} ${a.time} → ${formatDate(b.date)} ${b.time}`;
  return `${formatDate(a.date)}, ${a.time}–${b.time}`;
}
