import { describe, expect, it } from "vitest";
import { addDays, formatDateTime, formatTime, offsetMinutes, todayIn, zonedParts, zonedToUtcIso } from "./time";

describe("facility time zone", () => {
  it("turns a wall-clock time in the zone into UTC, across daylight saving", () => {
    expect(zonedToUtcIso("2030-01-15", "08:00", "America/New_York")).toBe("2030-01-15T13:00:00Z");
    expect(zonedToUtcIso("2030-07-15", "08:00", "America/New_York")).toBe("2030-07-15T12:00:00Z");
    expect(zonedToUtcIso("2030-07-15", "08:00", "UTC")).toBe("2030-07-15T08:00:00Z");
    expect(zonedToUtcIso("2030-03-31", "09:30", "Europe/Berlin")).toBe("2030-03-31T07:30:00Z");
    expect(zonedToUtcIso("2030-01-01", "06:00", "Asia/Kolkata")).toBe("2030-01-01T00:30:00Z");
  });

  it("shows UTC instants in the zone", () => {
    expect(formatTime("2030-01-15T13:00:00Z", "America/New_York")).toBe("08:00");
    expect(formatDateTime("2030-01-15T13:00:00Z", "America/New_York")).toBe("Tue, Jan 15, 2030, 08:00");
    expect(zonedParts("2030-01-16T02:00:00Z", "America/Los_Angeles")).toEqual({ date: "2030-01-15", time: "18:00" });
  });

  it("knows today's date in the zone, not the browser's", () => {
    const instant = new Date("2030-01-16T03:00:00Z");
    expect(todayIn("America/New_York", instant)).toBe("2030-01-15");
    expect(todayIn("Asia/Tokyo", instant)).toBe("2030-01-16");
  });

  it("computes offsets and adds calendar days", () => {
    expect(offsetMinutes(new Date("2030-01-15T12:00:00Z"), "America/New_York")).toBe(-300);
    expect(offsetMinutes(new Date("2030-07-15T12:00:00Z"), "Europe/London")).toBe(60);
    expect(addDays("2030-02-27", 2)).toBe("2030-03-01");
    expect(addDays("2030-12-31", 1)).toBe("2031-01-01");
  });
});
