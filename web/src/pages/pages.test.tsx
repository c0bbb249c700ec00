import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { AppContext } from "../context";
import type { Api } from "../api/client";
import type { AppConfig } from "../config";
import { Router } from "../router";
import { ApiError } from "../lib/problems";
import { BookPage } from "./Book";
import { ProfileGate } from "./Profile";
import { splitBookings, waitForStatus } from "./Bookings";
import { groupByService } from "./Staff";

const config = {
  apiBaseUrl: "http://127.0.0.1:3000",
  payments: { mode: "local", publishableKey: "pk", stripeApiBase: "http://127.0.0.1:1" },
  facilityTimezone: "UTC",
  currency: "USD",
} as AppConfig;

function wrap(api: Partial<Api>, children: ReactNode) {
  return render(
    <AppContext.Provider value={{ config, api: api as Api, session: { accessToken: "t", subject: "s", staff: false, email: "a@example.com" } }}>
      <Router>{children}</Router>
    </AppContext.Provider>,
  );
}

const dog = { id: "d1", name: "Rex" };
const availability = vi.fn(async (service_type: string, from: string) => ({
  service_type,
  timezone: "UTC",
  days: [
    { date: from, capacity: 20, booked: 20, places_left: 0 },
    { date: "2099-01-03", capacity: 20, booked: 4, places_left: 16 },
  ],
}));

describe("booking screen", () => {
  it("names a form mistake beside its field before sending anything", async () => {
    const quote = vi.fn();
    wrap({ dogs: async () => ({ items: [dog] }) as never, availability: availability as never, quote }, <BookPage />);
    const user = userEvent.setup();
    const start = await screen.findByLabelText(/Drop-off time/);
    await user.clear(start);
    await user.type(start, "05:00");
    await user.click(screen.getByRole("button", { name: "Check price and availability" }));
    expect(screen.getByRole("alert").textContent).toContain("Please correct");
    expect(start.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(start.getAttribute("aria-describedby")!.split(" ").pop()!)!.textContent).toBe(
      "We are open 06:00–20:00.",
    );
    expect(quote).not.toHaveBeenCalled();
  });

  it("shows the price and places left before booking, then books", async () => {
    const quote = vi.fn().mockResolvedValue({
      service_type: "daycare",
      start_time: "2099-01-02T08:00:00Z",
      end_time: "2099-01-02T17:00:00Z",
      price: "45.00",
      currency: "USD",
      available: true,
      days: [{ date: "2099-01-02", capacity: 20, booked: 5, places_left: 15 }],
    });
    const book = vi.fn().mockResolvedValue({ id: "b1" });
    wrap({ dogs: async () => ({ items: [dog] }) as never, availability: availability as never, quote, book }, <BookPage />);
    const user = userEvent.setup();
    const date = await screen.findByLabelText(/^Date/);
    await user.clear(date);
    await user.type(date, "2099-01-02");
    await user.click(screen.getByRole("button", { name: "Check price and availability" }));
    const section = await screen.findByRole("region", { name: "Price and availability" });
    expect(section.textContent).toContain("$45.00");
    expect(within(section).getByRole("table").textContent).toContain("15 of 20");
    expect(quote).toHaveBeenCalledWith({
      dog_id: "d1",
      service_type: "daycare",
      start_time: "2099-01-02T08:00:00Z",
      end_time: "2099-01-02T17:00:00Z",
    });
    await user.click(screen.getByRole("button", { name: "Book for $45.00" }));
    expect(book).toHaveBeenCalledTimes(1);
    expect(book.mock.calls[0][1]).toMatch(/^booking-/);
    expect(window.location.pathname).toBe("/app/bookings/b1");
  });

  it("puts the server's validation errors beside the fields", async () => {
    const quote = vi.fn().mockRejectedValue(
      new ApiError({
        type: "/problems/validation",
        title: "Validation failed",
        status: 422,
        errors: [{ field: "body.end_time", message: "daycare starts and ends on the same day" }],
      }),
    );
    wrap({ dogs: async () => ({ items: [dog] }) as never, availability: availability as never, quote }, <BookPage />);
    const user = userEvent.setup();
    const date = await screen.findByLabelText(/^Date/);
    await user.clear(date);
    await user.type(date, "2099-01-02");
    await user.click(screen.getByRole("button", { name: "Check price and availability" }));
    expect(await screen.findByText("Daycare starts and ends on the same day.")).toBeTruthy();
    expect(screen.getByLabelText(/Pick-up time/).getAttribute("aria-invalid")).toBe("true");
  });

  it("shows the week's places left for the chosen service and date before any quote", async () => {
    wrap({ dogs: async () => ({ items: [dog] }) as never, availability: availability as never }, <BookPage />);
    const user = userEvent.setup();
    const date = await screen.findByLabelText(/^Date/);
    await user.clear(date);
    await user.type(date, "2099-01-02");
    await user.click(screen.getByRole("radio", { name: /^Parking/ }));
    const week = await screen.findByRole("region", { name: "Parking: places left this week" });
    await within(week).findByText("Full");
    expect(within(week).getByText("16 of 20")).toBeTruthy();
    expect(availability).toHaveBeenLastCalledWith("parking", "2099-01-02", "2099-01-08");
  });

  it("offers to add a dog when there is none", async () => {
    wrap({ dogs: async () => ({ items: [] }) as never }, <BookPage />);
    expect(await screen.findByRole("link", { name: "add a dog" })).toBeTruthy();
  });
});

describe("first visit", () => {
  it("registers the profile without an email in the body, with field errors from the server", async () => {
    const register = vi
      .fn()
      .mockRejectedValueOnce(
        new ApiError({
          type: "/problems/validation",
          title: "Validation failed",
          status: 422,
          errors: [{ field: "body.phone", message: "String should match pattern" }],
        }),
      )
      .mockResolvedValueOnce({ id: "o1", name: "Alice", email: "a@example.com" });
    const profile = vi.fn().mockRejectedValue(new ApiError({ type: "/problems/not-found", title: "Not found", status: 404 }));
    wrap({ profile, register }, <ProfileGate><p>inside</p></ProfileGate>);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/^Name/), "Alice");
    await user.type(screen.getByLabelText("Phone"), "+1 555 0100");
    expect((screen.getByLabelText(/Email/) as HTMLInputElement).value).toBe("a@example.com");
    await user.click(screen.getByRole("button", { name: "Register" }));
    expect(await screen.findByText("String should match pattern.")).toBeTruthy();
    expect(register).toHaveBeenLastCalledWith({ name: "Alice", phone: "+1 555 0100" });
    await user.click(screen.getByRole("button", { name: "Register" }));
    expect(await screen.findByText("inside")).toBeTruthy();
  });

  it("asks for the whole address or none", async () => {
    const register = vi.fn();
    const profile = vi.fn().mockRejectedValue(new ApiError({ type: "/problems/not-found", title: "Not found", status: 404 }));
    wrap({ profile, register }, <ProfileGate><p>inside</p></ProfileGate>);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/^Name/), "Alice");
    await user.type(screen.getByLabelText("City"), "Springfield");
    await user.click(screen.getByRole("button", { name: "Register" }));
    expect(screen.getByText("Enter the ZIP code, or leave the whole address empty.")).toBeTruthy();
    expect(register).not.toHaveBeenCalled();
  });
});

describe("lists", () => {
  const b = (id: string, status: string, start: string, end: string) =>
    ({ id, status, start_time: start, end_time: end }) as never;
  it("splits bookings into upcoming and past", () => {
    const now = new Date("2030-01-10T12:00:00Z");
    const { upcoming, past } = splitBookings(
      [
        b("late", "confirmed", "2030-01-12T08:00:00Z", "2030-01-12T17:00:00Z"),
        b("soon", "pending", "2030-01-11T08:00:00Z", "2030-01-11T17:00:00Z"),
        b("gone", "cancelled", "2030-01-12T08:00:00Z", "2030-01-12T17:00:00Z"),
        b("done", "completed", "2030-01-01T08:00:00Z", "2030-01-01T17:00:00Z"),
      ],
      now,
    );
    expect(upcoming.map((x: { id: string }) => x.id)).toEqual(["soon", "late"]);
    expect(past.map((x: { id: string }) => x.id)).toEqual(["gone", "done"]);
  });

  it("groups the roster by service in time order", () => {
    const e = (id: string, service_type: string, start_time: string) => ({ booking_id: id, service_type, start_time }) as never;
    const g = groupByService([e("2", "daycare", "10"), e("1", "daycare", "08"), e("3", "parking", "09")]);
    expect(g.daycare.map((x: { booking_id: string }) => x.booking_id)).toEqual(["1", "2"]);
    expect(g.boarding).toEqual([]);
    expect(g.parking).toHaveLength(1);
  });

  it("polls the booking until the webhook has confirmed it", async () => {
    const load = vi
      .fn()
      .mockResolvedValueOnce({ status: "pending" })
      .mockResolvedValueOnce({ status: "pending" })
      .mockResolvedValueOnce({ status: "confirmed" });
    const result = await waitForStatus(load, (x) => x.status !== "pending", { delayMs: 1 });
    expect(result.status).toBe("confirmed");
    expect(load).toHaveBeenCalledTimes(3);
  });
});
