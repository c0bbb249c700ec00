import { describe, expect, it } from "vitest";
import { ApiError, errorMessages, fieldKey, problemMessages, toProblem } from "./problems";

describe("problem documents in words", () => {
  it("puts each validation error beside its field, by the field's path in the form", () => {
    const m = problemMessages({
      type: "/problems/validation",
      title: "Validation failed",
      status: 422,
      detail: "the request has invalid or unknown fields",
      errors: [
        { field: "body.name", message: "field required", code: "missing" },
        { field: "body.address.zip", message: "String should have at least 3 characters", code: "string_too_short" },
        { field: "body.vaccinations.0.expires_on", message: "Input should be a valid date", code: "date_from_datetime_parsing" },
      ],
    });
    expect(m.fields).toEqual({
      name: "Field required.",
      "address.zip": "String should have at least 3 characters.",
      "vaccinations.0.expires_on": "Input should be a valid date.",
    });
    expect(m.summary).toBe("Please correct the 3 fields marked below.");
  });

  it("joins several messages for the same field", () => {
    const m = problemMessages({
      type: "/problems/validation",
      title: "Validation failed",
      status: 422,
      errors: [
        { field: "body.start_time", message: "start_time is in the past" },
        { field: "body.start_time", message: "start_time must be within opening hours 06:00-20:00 (UTC)" },
      ],
    });
    expect(m.fields.start_time).toBe(
      "Start_time is in the past. Start_time must be within opening hours 06:00-20:00 (UTC).",
    );
    expect(m.summary).toBe("Please correct the field marked below.");
  });

  it("shows a conflict's title and detail as one sentence", () => {
    const m = problemMessages({
      type: "/problems/overlapping-booking",
      title: "Overlapping booking",
      status: 409,
      detail: "Rex already has a booking at that time",
    });
    expect(m).toEqual({ summary: "Overlapping booking: Rex already has a booking at that time.", fields: {} });
  });

  it("adds what to do for rate limits and expired sessions", () => {
    expect(problemMessages({ type: "/problems/rate-limited", title: "Too many requests", status: 429, detail: "slow down" }).summary).toBe(
      "Too many requests: Slow down. Too many requests. Please wait a moment and try again.",
    );
    expect(problemMessages({ type: "about:blank", title: "Unauthorized", status: 401 }).summary).toContain("sign in again");
  });

  it("strips only request locations from field names", () => {
    expect(fieldKey("body.address.city")).toBe("address.city");
    expect(fieldKey("query.date")).toBe("date");
    expect(fieldKey("name")).toBe("name");
    expect(fieldKey("bodyguard.name")).toBe("bodyguard.name");
  });

  it("makes a problem of a response that is not one", () => {
    expect(toProblem(502, "<html>Bad gateway</html>")).toEqual({ type: "about:blank", title: "Request failed (502)", status: 502 });
    expect(errorMessages(new ApiError(toProblem(404, null))).summary).toContain("could not find");
  });

  it("says the server could not be reached on a network failure", () => {
    expect(errorMessages(new TypeError("Failed to fetch")).summary).toMatch(/Could not reach the server/);
  });
});
