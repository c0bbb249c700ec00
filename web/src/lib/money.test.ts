import { describe, expect, it } from "vitest";
import { formatMoney, minorUnits } from "./money";

describe("money", () => {
  it("formats the API's fixed-point strings in their currency", () => {
    expect(formatMoney("45.00", "USD")).toBe("$45.00");
    expect(formatMoney("1234.5", "USD")).toBe("$1,234.50");
    expect(formatMoney("22.50", "EUR", "de-DE")).toBe("22,50\u00a0€");
    expect(formatMoney("1000", "JPY")).toBe("¥1,000");
  });

  it("keeps exact decimal strings (no float rounding)", () => {
    expect(formatMoney("0.30", "USD")).toBe("$0.30");
    expect(formatMoney("9007199254740993.01", "USD")).toBe("$9,007,199,254,740,993.01");
  });

  it("shows something readable for unknown amounts or currencies", () => {
    expect(formatMoney("abc", "USD")).toBe("abc USD");
    expect(formatMoney("10.00", "not-a-currency")).toBe("10.00 not-a-currency");
  });

  it("converts to minor units for comparisons", () => {
    expect(minorUnits("45.00")).toBe(4500);
    expect(minorUnits("22.5")).toBe(2250);
    expect(minorUnits("-1.05")).toBe(-105);
    expect(minorUnits("7")).toBe(700);
  });
});
