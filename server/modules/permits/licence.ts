import type { PremisesCategory } from '../../schemas/common.ts'

/** Short codes that start issued licence numbers: `<CODE>-<county>-<year>-<serial>`. */
export const LICENCE_CODES: Record<PremisesCategory, string> = {
  tobacco_retail: 'TOB',
  lottery_outlet: 'LOT',
  internet_cafe: 'NET',
  entertainment_venue: 'ENT',
  video_game_venue: 'VGM',
  hazardous_chemicals: 'HAZ',
  fireworks: 'FWK',
  polluting_enterprise: 'POL',
  food_stall_zone: 'FSZ',
}

/** Licence term in years by category: tobacco retail licences run 5 years (烟草专卖零售许可证), the others 2 until each department's term is configured. */
export const LICENCE_YEARS: Record<PremisesCategory, number> = {
  tobacco_retail: 5,
  lottery_outlet: 2,
  internet_cafe: 2,
  entertainment_venue: 2,
  video_game_venue: 2,
  hazardous_chemicals: 2,
  fireworks: 2,
  polluting_enterprise: 2,
  food_stall_zone: 2,
}

/** The last day of a term of `years` years starting on `date` (YYYY-MM-DD): the day before the anniversary. */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const end = new Date(Date.UTC(y + years, m - 1, d))
  if (end.getUTCDate() !== d) end.setUTCDate(0) // 29 February → 28 February
  end.setUTCDate(end.getUTCDate() - 1) // a term of N years ends the day before the anniversary
  return end.toISOString().slice(0, 10)
}

/** The last day of a normal licence term of the category starting on `start`. */
export const termEnd = (category: PremisesCategory, start: string): string => addYears(start, LICENCE_YEARS[category])

/** The day after a date (YYYY-MM-DD). */
export const nextDay = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

/** A licence number `<CODE>-<county>-<year>-<serial>` for a licence issued on `licensedOn`. */
export const licenceNumber = (category: PremisesCategory, countyCode: string, licensedOn: string, serial: number): string =>
  `${LICENCE_CODES[category]}-${countyCode}-${licensedOn.slice(0, 4)}-${String(serial).padStart(6, '0')}`

/**
 * When a renewal's new term ends: one filed before expiry runs on from the old end, a late one from
 * today; a granted rectification ends on its deadline instead.
 */
export function renewedUntil(
  category: PremisesCategory,
  expiresOn: string | null,
  today: string,
  rectificationDeadline: string | undefined,
): string {
  if (rectificationDeadline) return rectificationDeadline
  const start = expiresOn !== null && expiresOn >= today ? nextDay(expiresOn) : today
  return termEnd(category, start)
}
