// Shapes of the booking-preview and care-card routes, from the generated OpenAPI types.
import type { components } from "./schema";

type S = components["schemas"];
export type DayAvailability = S["DayAvailabilityView"];
export type Quote = S["QuoteView"];
export type Availability = S["AvailabilityView"];
export type CancellationQuote = S["CancellationView"];
export type CareCard = S["CareCardView"];
