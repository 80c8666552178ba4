/**
 * Pure rules of the police desk: peak windows, the China Standard Time day, and how visits are counted
 * against the policy. No database here.
 */
import type { FieldProblem } from '../../errors.ts'
import type { PeakWindow } from '../../schemas/peak-windows.ts'
import { MAX_PEAK_WINDOWS } from '../../schemas/peak-windows.ts'

/** China Standard Time is UTC+8 all year (no daylight saving). */
export const CST_OFFSET_MS = 8 * 3600 * 1000
/** How far ahead of the server's clock a phone's time may be (clock skew) before a check-in counts as "in the future". */
export const CLOCK_SKEW_MS = 5 * 60 * 1000
/** A check-in is matched to the school whose campus lies within this many metres. */
export const CHECKIN_RADIUS_M = 100
/** A track records a stay within this many metres of a campus. */
export const STAY_RADIUS_M = 50
/** A stay is broken when the track leaves the campus's reach for longer than this. */
export const STAY_GAP_MS = 60 * 1000
/** A track holds at most this many points. */
export const MAX_TRACK_POINTS = 100_000

export const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))

/**
 * Checks peak windows: each start before its end, names unique, no two overlapping, at most
 * MAX_PEAK_WINDOWS (the schema checks the HH:MM shape). Problems name the field under `field`.
 */
export function peakWindowProblems(windows: readonly PeakWindow[], field: string): FieldProblem[] {
  const problems: FieldProblem[] = []
  if (windows.length > MAX_PEAK_WINDOWS)
    problems.push({ field, message: `at most ${MAX_PEAK_WINDOWS} peak windows, got ${windows.length}` })
  windows.forEach((w, i) => {
    if (!(minutesOf(w.start) < minutesOf(w.end)))
      problems.push({ field: `${field}/${i}/end`, message: `must be after start (${w.start}); a window does not pass midnight` })
    const first = windows.findIndex((o) => o.name === w.name)
    if (first !== i) problems.push({ field: `${field}/${i}/name`, message: `${w.name} is also the name of window ${first}` })
  })
  const order = windows.map((w, i) => ({ ...w, i })).sort((a, b) => minutesOf(a.start) - minutesOf(b.start))
  for (let k = 1; k < order.length; k += 1) {
    const previous = order[k - 1]!
    const current = order[k]!
    if (minutesOf(current.start) < minutesOf(previous.end))
      problems.push({
        field: `${field}/${current.i}/start`,
        message: `${current.name} (${current.start}–${current.end}) overlaps ${previous.name} (${previous.start}–${previous.end})`,
      })
  }
  return problems
}

/** The calendar date (YYYY-MM-DD) in China Standard Time of an instant. */
export function cstDateOf(instant: Date | number): string {
  return new Date(new Date(instant).getTime() + CST_OFFSET_MS).toISOString().slice(0, 10)
}

/** The instants a CST calendar day starts and ends at: [start, end). */
export function cstDayRange(date: string): { from: Date; to: Date } {
  const from = new Date(`${date}T00:00:00+08:00`)
  return { from, to: new Date(from.getTime() + 24 * 3600 * 1000) }
}

/** The CST date `days` after `date`. */
export function addDays(date: string, days: number): string {
  return new Date(new Date(`${date}T00:00:00Z`).getTime() + days * 24 * 3600 * 1000).toISOString().slice(0, 10)
}

/** A real calendar date (the schema only checks its shape): 2026-02-30 is refused. */
export function isCalendarDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value
}

/** An instant as ISO 8601 in China Standard Time (+08:00), as the desk shows times. */
export function cstIso(instant: Date | string): string {
  const ms = new Date(instant).getTime() + CST_OFFSET_MS
  return `${new Date(ms).toISOString().slice(0, 19)}+08:00`
}

/**
 * How many visits count towards the policy: the visits of one school on one day, taken in time order,
 * a visit counting when it starts at least `minGapMinutes` after the last visit that counted. Taking the
 * earliest each time gives the largest number of visits that are pairwise at least the gap apart (the
 * greedy choice is optimal for points on a line), so a burst of check-ins at one stop counts once.
 */
export function countedVisits(times: readonly number[], minGapMinutes: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  const gap = minGapMinutes * 60 * 1000
  let counted = 0
  let last = -Infinity
  for (const t of sorted) {
    if (counted === 0 || t - last >= gap) {
      counted += 1
      last = t
    }
  }
  return counted
}

/** One point of a track, in time order, with the nearest campus within STAY_RADIUS_M (if any). */
export interface TrackPointMatch {
  time: number
  lon: number
  lat: number
  schoolId: number | null
  distanceM: number | null
}

/** A stay: consecutive points near one campus. */
export interface Stay {
  schoolId: number
  from: number
  to: number
  /** The point closest to the campus during the stay. */
  lon: number
  lat: number
  distanceM: number
}

/**
 * The stays of at least `dwellMinMinutes` in a track: a run of points near the same campus, broken
 * when the track is away from it for more than STAY_GAP_MS or reaches another campus.
 */
export function staysOf(points: readonly TrackPointMatch[], dwellMinMinutes: number): Stay[] {
  const stays: Stay[] = []
  let current: Stay | undefined
  let lastNear = 0
  const close = () => {
    if (current && current.to - current.from >= dwellMinMinutes * 60 * 1000) stays.push(current)
    current = undefined
  }
  for (const p of points) {
    if (p.schoolId === null) {
      if (current && p.time - lastNear > STAY_GAP_MS) close()
      continue
    }
    if (current && (current.schoolId !== p.schoolId || p.time - lastNear > STAY_GAP_MS)) close()
    if (!current) current = { schoolId: p.schoolId, from: p.time, to: p.time, lon: p.lon, lat: p.lat, distanceM: p.distanceM! }
    current.to = p.time
    if (p.distanceM! < current.distanceM) Object.assign(current, { lon: p.lon, lat: p.lat, distanceM: p.distanceM! })
    lastNear = p.time
  }
  close()
  return stays
}
