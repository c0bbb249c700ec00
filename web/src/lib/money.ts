// Money arrives as a fixed-point string in major units beside its currency ("45.00", "USD").
// It is only ever displayed or compared, never computed with floats.

export function formatMoney(amount: string, currency: string, locale = "en-US"): string {
  if (!/^-?\d+(\.\d+)?$/.test(amount)) return `${amount} ${currency}`;
  try {
    // Intl formats a decimal string exactly (no binary float rounding).
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(
      amount as unknown as number,
    );
  } catch {
    return `${amount} ${currency}`;
  }
}

/** Minor units of a fixed-point string ("45.5" -> 4550), for comparisons. */
export function minorUnits(amount: string, digits = 2): number {
  const negative = amount.startsWith("-");
  const [whole, fraction = ""] = amount.replace(/^-/, "").split(".");
  const value = Number(whole) * 10 ** digits + Number((fraction + "0".repeat(digits)).slice(0, digits));
  return negative ? -value : value;
}
