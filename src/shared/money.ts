/**
 * The largest order total, in cents (9,999,999,999,999.99): every value up to it, with two
 * decimals, is a JSON number that reads back exactly (15 significant digits), and its cents stay
 * below 2^53, so sums in JavaScript are exact too.
 */
export const MAX_TOTAL_CENTS = 999_999_999_999_999

/**
 * Prices travel as JSON numbers with at most two decimals (validated by the schema's
 * `multipleOf: 0.01`) and are stored and summed as integer cents.
 */
export function toCents(amount: number): number {
  return Math.round(amount * 100)
}

/** Integer cents back to the JSON number: cents / 100 is the double nearest the decimal value. */
export function fromCents(cents: number): number {
  return cents / 100
}

/** True when `amount` is exactly a value with at most two decimals. */
export function hasAtMostTwoDecimals(amount: number): boolean {
  return Number.isFinite(amount) && fromCents(toCents(amount)) === amount
}
