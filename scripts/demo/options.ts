/** What the demo generator is asked for, and the limits it accepts. */

/** How many schools and premises, from which seed, and where. */
export interface GenerateOptions {
  schools: number
  premises: number
  /** unsigned 32-bit integer; default DEFAULT_SEED */
  seed?: number
  /** [minLon, minLat, maxLon, maxLat]: place everything anywhere in this box instead of only in Guyuan's counties */
  bbox?: [number, number, number, number]
}

/** The seed of the shipped demo set (Guyuan's adcode 640400). */
export const DEFAULT_SEED = 640400

/** The most schools one run places (a campus store of this size still fits in memory). */
export const MAX_SCHOOLS = 2_000_000
/** The most premises one run generates (they are streamed, never all in memory). */
export const MAX_PREMISES = 50_000_000

/** Throws a RangeError with a clear message when an option is out of range. */
export function validateOptions(options: GenerateOptions): void {
  const { schools, premises, seed, bbox } = options
  if (!Number.isInteger(schools) || schools < 0 || schools > MAX_SCHOOLS)
    throw new RangeError(`schools must be an integer from 0 to ${MAX_SCHOOLS}, got ${schools}`)
  if (!Number.isInteger(premises) || premises < 0 || premises > MAX_PREMISES)
    throw new RangeError(`premises must be an integer from 0 to ${MAX_PREMISES}, got ${premises}`)
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff))
    throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${seed}`)
  if (bbox !== undefined) {
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => Number.isFinite(v)))
      throw new RangeError('bbox must be four finite numbers: minLon, minLat, maxLon, maxLat')
    const [minLon, minLat, maxLon, maxLat] = bbox
    if (minLon < -180 || maxLon > 180 || minLat < -85 || maxLat > 85)
      throw new RangeError('bbox must lie within longitude -180..180 and latitude -85..85')
    if (!(minLon < maxLon && minLat < maxLat)) throw new RangeError('bbox must have minLon < maxLon and minLat < maxLat')
    if ((maxLon - minLon) * (maxLat - minLat) < 1e-4) throw new RangeError('bbox is too small (at least about 1 km × 1 km)')
  }
}
