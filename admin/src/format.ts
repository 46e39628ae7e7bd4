/** Money, dates and counts as staff read them: the browser's locale, prices with two decimals. */

let currency: string | undefined

/** The store's currency, when the service says which (GET / `currency`). */
export const setCurrency = (code: string | undefined) => {
  currency = code
  moneyFormat = undefined
}

let moneyFormat: Intl.NumberFormat | undefined
export function money(amount: number | null | undefined): string {
  if (amount === null || amount === undefined) return '—'
  if (!moneyFormat) {
    try {
      moneyFormat = new Intl.NumberFormat(undefined, {
        ...(currency ? { style: 'currency', currency } : {}),
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      })
    } catch {
      moneyFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    }
  }
  return moneyFormat.format(amount)
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—')

/** Midnight (local time) of the day `days` from today, as ISO 8601 UTC. */
export function localMidnight(days = 0, from = new Date()): string {
  const day = new Date(from.getFullYear(), from.getMonth(), from.getDate() + days)
  return day.toISOString()
}

/** `yyyy-mm-dd` (an <input type="date"> value, local) to the ISO instant its day starts, or the next one. */
export function dayStart(value: string, nextDay = false): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!match) return undefined
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + (nextDay ? 1 : 0)).toISOString()
}

export const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`
