import { describe, expect, it } from "vitest";
import { bookingBody, describeStay, formFieldOf, validateBooking, type BookingForm } from "./booking";

const facility = { timeZone: "America/New_York", openingHour: 6, closingHour: 20 };
const now = new Date("2030-01-10T12:00:00Z");
const base: BookingForm = {
  dog_id: "dog-1",
  service_type: "daycare",
  date: "2030-01-15",
  start: "08:00",
  end: "17:00",
  nights: "1",
  special_instructions: "",
};

describe("booking form validation", () => {
  it("accepts a good daycare day and builds the API body in UTC", () => {
    expect(validateBooking(base, facility, now)).toEqual({});
    expect(bookingBody(base, facility.timeZone)).toEqual({
      dog_id: "dog-1",
      service_type: "daycare",
      start_time: "2030-01-15T13:00:00Z",
      end_time: "2030-01-15T22:00:00Z",
    });
  });

  it("names every broken rule by field", () => {
    expect(validateBooking({ ...base, dog_id: "", start: "05:00", end: "21:30" }, facility, now)).toEqual({
      dog_id: "Choose a dog.",
      start: "We are open 06:00–20:00.",
      end: "We are open 06:00–20:00.",
    });
    expect(validateBooking({ ...base, start: "12:00", end: "11:00" }, facility, now)).toEqual({
      end: "Pick-up must be after drop-off.",
    });
    expect(validateBooking({ ...base, date: "2030-01-09" }, facility, now).date).toMatch(/passed/);
    expect(validateBooking({ ...base, date: "" }, facility, now)).toEqual({ date: "Enter a date." });
  });

  it("limits parking to twelve hours", () => {
    const parking = { ...base, service_type: "parking" as const };
    expect(validateBooking({ ...parking, start: "06:00", end: "18:00" }, facility, now)).toEqual({});
    expect(validateBooking({ ...parking, start: "06:00", end: "18:30" }, facility, now)).toEqual({
      end: "Parking is at most 12 hours.",
    });
  });

  it("books boarding by nights, ending on the last day", () => {
    const boarding = { ...base, service_type: "boarding" as const, nights: "3", start: "09:00", end: "11:00" };
    expect(validateBooking(boarding, facility, now)).toEqual({});
    expect(bookingBody(boarding, facility.timeZone)).toMatchObject({
      start_time: "2030-01-15T14:00:00Z",
      end_time: "2030-01-18T16:00:00Z",
    });
    expect(validateBooking({ ...boarding, nights: "0" }, facility, now).nights).toMatch(/at least one/);
    expect(validateBooking({ ...boarding, nights: "31" }, facility, now).nights).toMatch(/at most 30/);
    expect(validateBooking({ ...boarding, nights: "two" }, facility, now).nights).toMatch(/at least one/);
  });

  it("sends special instructions only when given", () => {
    expect(bookingBody({ ...base, special_instructions: "  Give pills at noon " }, "UTC").special_instructions).toBe(
      "Give pills at noon",
    );
    expect("special_instructions" in bookingBody(base, "UTC")).toBe(false);
  });

  it("maps server field names to the form's inputs", () => {
    expect(formFieldOf("start_time")).toBe("start");
    expect(formFieldOf("end_time")).toBe("end");
    expect(formFieldOf("dog_id")).toBe("dog_id");
    expect(formFieldOf("something_else")).toBe("date");
  });

  it("describes a stay in the facility's zone", () => {
    expect(describeStay("daycare", "2030-01-15T13:00:00Z", "2030-01-15T22:00:00Z", "America/New_York")).toBe(
      "Tue, Jan 15, 2030, 08:00–17:00",
    );
    expect(describeStay("boarding", "2030-01-15T14:00:00Z", "2030-01-18T16:00:00Z", "America/New_York")).toBe(
      "Tue, Jan 15, 2030 09:00 → Fri, Jan 18, 2030 11:00",
    );
  });
});
