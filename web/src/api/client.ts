// The one way the app talks to the API: the typed client generated from docs/openapi.json
// (openapi-fetch), with the bearer token added to every request and every failure turned
// into an ApiError carrying the RFC 9457 problem document.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";
import type { Availability, CancellationQuote, CareCard, Quote } from "./contract";
import { ApiError, toProblem } from "../lib/problems";

type S = components["schemas"];
export type Owner = S["OwnerView"];
export type Dog = S["DogView"];
export type NewDog = S["NewDog"];
export type UpdateDog = S["UpdateDog"];
export type Booking = S["BookingView"] & { hold_expires_at?: string | null };
export type NewBooking = S["NewBooking"];
export type Payment = S["PaymentView"];
export type RosterEntry = S["RosterEntryView"];
export type Capacity = S["CapacityView"];
export type RegisterOwner = Omit<S["RegisterOwner"], "email">;
export type UpdateOwner = Omit<S["UpdateOwner"], "email">;
export type Page<T> = { items: T[]; next_cursor?: string | null };

export interface Tokens {
  accessToken: string;
  idToken?: string;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(toProblem(response.status, error));
  return data as T;
}

export function newIdempotencyKey(prefix: string): string {
  const random = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return `${prefix}-${random}`;
}

export function createApi(baseUrl: string, tokens: () => Tokens | null, fetcher: typeof fetch = (...a) => fetch(...a)) {
  const client = createClient<paths>({ baseUrl, fetch: fetcher });
  const auth: Middleware = {
    onRequest({ request }) {
      const t = tokens();
      if (t) request.headers.set("Authorization", `Bearer ${t.accessToken}`);
      return request;
    },
  };
  client.use(auth);
  // The registration and profile routes read the email from the ID token, never the body.
  const idHeader = (): Record<string, string> => {
    const t = tokens();
    return t?.idToken ? { "X-Id-Token": t.idToken } : {};
  };

  return {
    profile: () => unwrap(client.GET("/owners/profile")),
    register: (body: RegisterOwner) =>
      unwrap(client.POST("/owners/register", { body: body as S["RegisterOwner"], headers: idHeader() })),
    updateProfile: (body: UpdateOwner) =>
      unwrap(client.PUT("/owners/profile", { body: body as S["UpdateOwner"], headers: idHeader() })),

    dogs: () => unwrap(client.GET("/dogs", { params: { query: { limit: 100 } } })) as Promise<Page<Dog>>,
    dog: (id: string) => unwrap(client.GET("/dogs/{id}", { params: { path: { id } } })),
    addDog: (body: NewDog) => unwrap(client.POST("/dogs", { body })),
    updateDog: (id: string, body: UpdateDog) => unwrap(client.PUT("/dogs/{id}", { params: { path: { id } }, body })),
    deleteDog: (id: string) => unwrap(client.DELETE("/dogs/{id}", { params: { path: { id } } })),

    bookings: (cursor?: string) =>
      unwrap(
        client.GET("/bookings", { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }),
      ) as Promise<Page<Booking>>,
    booking: (id: string) => unwrap(client.GET("/bookings/{id}", { params: { path: { id } } })) as Promise<Booking>,
    book: (body: NewBooking, idempotencyKey: string) =>
      unwrap(
        client.POST("/bookings", { body, headers: { "Idempotency-Key": idempotencyKey } }),
      ) as Promise<Booking>,
    cancel: (id: string) => unwrap(client.DELETE("/bookings/{id}", { params: { path: { id } } })) as Promise<Booking>,
    quote: (body: NewBooking): Promise<Quote> => unwrap(client.POST("/bookings/quote", { body })),
    availability: (service_type: string, from: string, to: string): Promise<Availability> =>
      unwrap(
        client.GET("/availability", {
          params: { query: { service_type: service_type as "daycare", from, to } },
        }),
      ),
    cancellation: (id: string): Promise<CancellationQuote> =>
      unwrap(client.GET("/bookings/{id}/cancellation", { params: { path: { id } } })),

    pay: (booking_id: string, idempotencyKey: string) =>
      unwrap(client.POST("/payments", { body: { booking_id }, headers: { "Idempotency-Key": idempotencyKey } })),
    payment: (id: string) => unwrap(client.GET("/payments/{id}", { params: { path: { id } } })),

    roster: (date: string, service_type?: string) =>
      unwrap(
        client.GET("/admin/bookings", {
          params: { query: { date, limit: 100, ...(service_type ? { service_type } : {}) } as never },
        }),
      ) as Promise<Page<RosterEntry>>,
    checkIn: (id: string) =>
      unwrap(client.POST("/admin/bookings/{id}/check-in", { params: { path: { id } } })) as Promise<Booking>,
    checkOut: (id: string) =>
      unwrap(client.POST("/admin/bookings/{id}/check-out", { params: { path: { id } } })) as Promise<Booking>,
    careCard: (id: string): Promise<CareCard> =>
      unwrap(client.GET("/admin/bookings/{id}/care-card", { params: { path: { id } } })),
    owners: (cursor?: string) =>
      unwrap(
        client.GET("/admin/owners", { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } as never } }),
      ) as Promise<Page<Owner>>,
    setCapacity: (service_type: string, daily_capacity: number) =>
      unwrap(
        client.PUT("/admin/capacity/{service_type}", {
          params: { path: { service_type: service_type as never } },
          body: { daily_capacity },
        }),
      ) as Promise<Capacity>,
  };
}

export type Api = ReturnType<typeof createApi>;
