/** Wall-clock times and the seeded pseudo-random numbers of a day's plan. */

/** "HH:MM" or "HH:MM:SS" → seconds after midnight. */
export function secondsOf(clock: string): number {
  const [h, m, s] = clock.split(':').map(Number)
  return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)
}

/** Seconds after midnight → "HH:MM". */
export function clockOf(seconds: number): string {
  const minutes = Math.floor(seconds / 60)
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/** A 32-bit hash of a text (FNV-1a), to seed one generator per decision so that the order of work does not change the draws. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** mulberry32: a small, fast generator of uniform numbers in [0, 1) from a 32-bit seed. */
export function generator(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The generator for one named decision of a plan (e.g. the dwell of a school's second visit). */
export const draw = (seed: string, ...what: (string | number)[]) => generator(hash32([seed, ...what].join('|')))

/** Sorted, disjoint intervals [a, b] (closed) of allowed start times. */
export type Windows = [number, number][]

/** The earliest allowed time at or after t, or null. */
export function earliestIn(windows: Windows, t: number): number | null {
  for (const [a, b] of windows) {
    if (t <= b) return Math.max(a, t)
  }
  return null
}

/** The latest allowed time at or before t, or null. */
export function latestIn(windows: Windows, t: number): number | null {
  for (let i = windows.length - 1; i >= 0; i -= 1) {
    const [a, b] = windows[i]!
    if (t >= a) return Math.min(b, t)
  }
  return null
}

/** [a, b] less the open intervals (x, y) of `holes`: what remains, sorted. */
export function subtract(a: number, b: number, holes: readonly [number, number][]): Windows {
  let parts: Windows = a <= b ? [[a, b]] : []
  for (const [x, y] of holes) {
    const next: Windows = []
    for (const [p, q] of parts) {
      if (y <= p || x >= q) next.push([p, q])
      else {
        if (x >= p) next.push([p, x])
        if (y <= q) next.push([y, q])
      }
    }
    parts = next
  }
  return parts.filter(([p, q]) => p <= q).sort((u, v) => u[0] - v[0])
}
