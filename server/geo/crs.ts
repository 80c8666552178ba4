/**
 * Coordinate intake: WGS84 / CGCS2000 / GCJ-02 (Amap, Tencent) / BD-09 (Baidu).
 *
 * Canonical storage is WGS84 (CGCS2000 agrees with it to well under 1 m, so both are the
 * identity here). Clerks paste coordinates from Chinese web maps; at Guyuan a GCJ-02 point
 * sits about 378 m from the true position and a BD-09 point about 1.15 km, so intake must
 * convert with an exact inverse, record the source CRS and echo the WGS84 position used.
 *
 * Forward transforms are the published open algorithms:
 * - GCJ-02: Krasovsky ellipsoid a = 6378245, ee = 0.00669342162296594323, applied only inside
 *   China's rough bounding box (outside it GCJ-02 == WGS84, like every open implementation).
 * - BD-09: the standard x_pi = π·3000/180 formula on top of GCJ-02 (applied everywhere).
 *
 * The inverses solve forward(x) = input by fixed-point iteration, starting from the usual
 * one-step approximation, until the residual is below 1e-9° (≈ 0.1 mm) on both axes. The
 * offsets are smooth with a tiny Jacobian, so each step gains about three orders of magnitude:
 * 3–5 iterations in practice, capped at MAX_ITERATIONS.
 *
 * Why not gcoord: its forward formulas are the same algorithm (verified in the tests to ~1e-13°),
 * but its GCJ02→WGS84 only iterates to 1e-6° (≈ 0.1 m) with an uncapped loop, its BD09→GCJ02 is
 * the one-step approximation (errors of a few cm… dm), and its published TypeScript types do not
 * match its CommonJS runtime under NodeNext resolution. The formulas are short, so they live here.
 */

export const CRS_VALUES = ['wgs84', 'cgcs2000', 'gcj02', 'bd09'] as const
export type Crs = (typeof CRS_VALUES)[number]

/** True if `value` is one of CRS_VALUES. */
export function isCrs(value: unknown): value is Crs {
  return typeof value === 'string' && (CRS_VALUES as readonly string[]).includes(value)
}

// GCJ-02 constants of the open algorithm (Krasovsky 1940 ellipsoid).
const GCJ_A = 6378245.0
const GCJ_EE = 0.006693421622965943 // 0.00669342162296594323 as published, to double precision
// BD-09 constant.
const X_PI = (Math.PI * 3000.0) / 180.0

/** Iteration stops once |forward(x) - input| < this on both axes (degrees). */
export const INVERSE_TOLERANCE_DEG = 1e-9
/** Safety cap on inverse iterations (convergence normally takes 3–5). */
export const MAX_ITERATIONS = 30

/**
 * China's rough bounding box as used by the open GCJ-02 algorithm (same bounds as gcoord and
 * eviltransform). Outside it the GCJ-02 offset is not applied.
 */
export function isInsideChina(lon: number, lat: number): boolean {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271
}

function transformLat(x: number, y: number): number {
  let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0
  ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0
  return ret
}

function transformLon(x: number, y: number): number {
  let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0
  ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0
  return ret
}

/** Forward WGS84 → GCJ-02 (open algorithm). Identity outside China's rough bbox. */
function wgs84ToGcj02(lon: number, lat: number): [number, number] {
  if (!isInsideChina(lon, lat)) return [lon, lat]
  let dLat = transformLat(lon - 105.0, lat - 35.0)
  let dLon = transformLon(lon - 105.0, lat - 35.0)
  const radLat = (lat / 180.0) * Math.PI
  let magic = Math.sin(radLat)
  magic = 1 - GCJ_EE * magic * magic
  const sqrtMagic = Math.sqrt(magic)
  dLat = (dLat * 180.0) / (((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtMagic)) * Math.PI)
  dLon = (dLon * 180.0) / ((GCJ_A / sqrtMagic) * Math.cos(radLat) * Math.PI)
  return [lon + dLon, lat + dLat]
}

/** Forward GCJ-02 → BD-09 (standard x_pi formula). */
function gcj02ToBd09(lon: number, lat: number): [number, number] {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI)
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI)
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006]
}

/** The usual one-step BD-09 → GCJ-02 approximation; used as the iteration's starting point. */
function bd09ToGcj02Approx(lon: number, lat: number): [number, number] {
  const x = lon - 0.0065
  const y = lat - 0.006
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI)
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI)
  return [z * Math.cos(theta), z * Math.sin(theta)]
}

/**
 * Solve forward(x) = (lon, lat) by fixed-point iteration x ← x − (forward(x) − target).
 * Converges because forward is the identity plus a slowly varying offset.
 */
function invert(
  forward: (lon: number, lat: number) => [number, number],
  lon: number,
  lat: number,
  start: [number, number],
): [number, number] {
  let [x, y] = start
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const [fx, fy] = forward(x, y)
    const dx = fx - lon
    const dy = fy - lat
    if (Math.abs(dx) < INVERSE_TOLERANCE_DEG && Math.abs(dy) < INVERSE_TOLERANCE_DEG) break
    x -= dx
    y -= dy
  }
  return [x, y]
}

/** Exact GCJ-02 → WGS84 (iterative inverse of the forward transform). */
function gcj02ToWgs84(lon: number, lat: number): [number, number] {
  // Same convention as the open algorithm: outside the bbox GCJ-02 is WGS84.
  if (!isInsideChina(lon, lat)) return [lon, lat]
  // One-step approximation as the starting point: x0 = 2·g − forward(g).
  const [fx, fy] = wgs84ToGcj02(lon, lat)
  return invert(wgs84ToGcj02, lon, lat, [2 * lon - fx, 2 * lat - fy])
}

/** Exact BD-09 → GCJ-02 (iterative inverse of the standard forward formula). */
function bd09ToGcj02(lon: number, lat: number): [number, number] {
  return invert(gcj02ToBd09, lon, lat, bd09ToGcj02Approx(lon, lat))
}

function assertFinite(lon: number, lat: number): void {
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
    throw new RangeError(`coordinates must be finite numbers, got [${String(lon)}, ${String(lat)}]`)
  }
}

/**
 * Convert a position given in `crs` to WGS84 (exact inverse, residual < 1e-9°).
 * Throws RangeError for non-finite input; range checks belong to validate.ts.
 */
export function toWgs84(lon: number, lat: number, crs: Crs): [number, number] {
  assertFinite(lon, lat)
  switch (crs) {
    case 'wgs84':
    case 'cgcs2000':
      return [lon, lat]
    case 'gcj02':
      return gcj02ToWgs84(lon, lat)
    case 'bd09': {
      const [gLon, gLat] = bd09ToGcj02(lon, lat)
      return gcj02ToWgs84(gLon, gLat)
    }
    default:
      return unknownCrs(crs)
  }
}

/** Convert a WGS84 position to `crs` (forward transforms; e.g. to draw on an Amap/Baidu basemap). */
export function fromWgs84(lon: number, lat: number, crs: Crs): [number, number] {
  assertFinite(lon, lat)
  switch (crs) {
    case 'wgs84':
    case 'cgcs2000':
      return [lon, lat]
    case 'gcj02':
      return wgs84ToGcj02(lon, lat)
    case 'bd09': {
      const [gLon, gLat] = wgs84ToGcj02(lon, lat)
      return gcj02ToBd09(gLon, gLat)
    }
    default:
      return unknownCrs(crs)
  }
}

function unknownCrs(crs: never): never {
  throw new RangeError(`unknown coordinate system: ${String(crs)}`)
}

type Position = number[]

function convertPosition(p: Position, crs: Crs): Position {
  const [lon, lat, ...rest] = p
  if (lon === undefined || lat === undefined) throw new RangeError('a position needs two numbers')
  const [x, y] = toWgs84(lon, lat, crs)
  return [x, y, ...rest]
}

/**
 * Convert the coordinates of a (validated) Point, Polygon or MultiPolygon to WGS84, returning a
 * new geometry. Ring closure is preserved because the conversion is a deterministic function of
 * each position.
 */
export function geometryToWgs84<
  G extends
    | { type: 'Point'; coordinates: number[] }
    | { type: 'Polygon'; coordinates: number[][][] }
    | { type: 'MultiPolygon'; coordinates: number[][][][] },
>(geometry: G, crs: Crs): G {
  if (crs === 'wgs84' || crs === 'cgcs2000') return structuredClone(geometry)
  switch (geometry.type) {
    case 'Point':
      return { ...geometry, coordinates: convertPosition(geometry.coordinates, crs) }
    case 'Polygon':
      return {
        ...geometry,
        coordinates: geometry.coordinates.map((ring) => ring.map((p) => convertPosition(p, crs))),
      }
    case 'MultiPolygon':
      return {
        ...geometry,
        coordinates: geometry.coordinates.map((poly) => poly.map((ring) => ring.map((p) => convertPosition(p, crs)))),
      }
    default:
      return unknownGeometry(geometry)
  }
}

function unknownGeometry(g: never): never {
  throw new RangeError(`unsupported geometry type: ${String((g as { type?: unknown }).type)}`)
}
