/** Calendar days for the demo generator, in UTC milliseconds: licence dates and school opening days. */
import type { Rng } from './random.ts'

/** Licence statuses are consistent with this day (active licences expire on or after it). */
export const DEMO_REFERENCE_DATE = '2026-01-01'

/** one day in milliseconds */
export const DAY_MS = 86_400_000
/** YYYY-MM-DD of a UTC day */
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
/** DEMO_REFERENCE_DATE as UTC milliseconds */
export const REF_MS = Date.parse(`${DEMO_REFERENCE_DATE}T00:00:00Z`)
/** No generated licence was issued before this day. */
export const EARLIEST_LICENCE_MS = Date.UTC(2005, 0, 1)
/** The same calendar day `years` later (earlier when negative). */
export function addYears(ms: number, years: number): number {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate())
}
/** A uniformly drawn whole day from fromMs to toMs, both included. */
export function randomDay(rng: Rng, fromMs: number, toMs: number): number {
  return fromMs + Math.floor(rng.next() * (Math.floor((toMs - fromMs) / DAY_MS) + 1)) * DAY_MS
}
