/** Dates and times on the China Standard Time clock, whatever the browser's own time zone. */
const CST_MS = 8 * 3600_000

export const todayCst = (now = Date.now()) => new Date(now + CST_MS).toISOString().slice(0, 10)

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** "HH:MM" of an ISO 8601 instant, in China Standard Time. */
export const hhmm = (iso: string) => new Date(Date.parse(iso) + CST_MS).toISOString().slice(11, 16)

/** "YYYY-MM-DD HH:MM" of an ISO 8601 instant, in China Standard Time. */
export const cstDateTime = (iso: string) => new Date(Date.parse(iso) + CST_MS).toISOString().slice(0, 16).replace('T', ' ')
