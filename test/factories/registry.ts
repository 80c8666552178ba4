/** Small builders of registry features from coordinates. Offsets use a local flat approximation: fine for fixtures, never for oracles. */

export const GUYUAN = { lon: 106.238411, lat: 36.016037 }
/**
 * A point well inside each county (10–20 km from its outline; data/boundaries/counties.geojson): a fixture
 * declaring a county lies in it, since the registry finds the county from the geometry.
 */
export const COUNTY_POINTS: Record<string, readonly [number, number]> = {
  '640402': [GUYUAN.lon, GUYUAN.lat],
  '640422': [105.676322, 35.938921],
  '640423': [106.07618, 35.601699],
  '640424': [106.345413, 35.491657],
  '640425': [106.716153, 35.992938],
}
const placeOf = (countyCode: string | undefined) => (countyCode ? COUNTY_POINTS[countyCode] : undefined) ?? [GUYUAN.lon, GUYUAN.lat]
const M_PER_DEG_LAT = 110_950

/** [lon, lat] moved east/north by metres (flat approximation). */
export function offset([lon, lat]: readonly number[], eastM: number, northM: number): [number, number] {
  return [lon! + eastM / (M_PER_DEG_LAT * Math.cos((lat! * Math.PI) / 180)), lat! + northM / M_PER_DEG_LAT]
}

/** A rectangle campus `widthM` × `heightM` centred on a point, counter-clockwise. */
export function rectangle(center: readonly number[], widthM = 120, heightM = 80): number[][] {
  const w = widthM / 2
  const h = heightM / 2
  const ring = [offset(center, -w, -h), offset(center, w, -h), offset(center, w, h), offset(center, -w, h)]
  return [...ring, ring[0]!]
}

export function schoolFeature(
  overrides: {
    center?: readonly number[]
    name?: string
    schoolType?: string
    countyCode?: string
    gates?: number[][]
    geometry?: unknown
    properties?: Record<string, unknown>
  } = {},
) {
  // Without a centre, a school declaring a county is placed in it; the default is the city centre (原州区).
  const center = overrides.center ?? placeOf(overrides.countyCode)
  const ring = rectangle(center)
  return {
    type: 'Feature' as const,
    properties: {
      name: overrides.name ?? '测试小学',
      schoolType: overrides.schoolType ?? 'primary',
      // The registry finds the county from the campus: only a fixture that declares one sends it.
      ...(overrides.countyCode ? { countyCode: overrides.countyCode } : {}),
      address: '原州区测试路1号',
      students: 800,
      staff: 60,
      boarding: false,
      openedOn: '2001-09-01',
      gates: overrides.gates ?? [ring[0]!.map((v, i) => (v + ring[1]![i]!) / 2)],
      ...overrides.properties,
    },
    geometry: overrides.geometry ?? { type: 'Polygon', coordinates: [ring] },
  }
}

export function premisesFeature(
  overrides: {
    at?: readonly number[]
    name?: string
    category?: string
    countyCode?: string
    licenceNo?: string
    properties?: Record<string, unknown>
  } = {},
) {
  // Without a position, premises declaring a county are placed in it (300 m east of its point).
  const at = overrides.at ?? offset(placeOf(overrides.countyCode), 300, 0)
  return {
    type: 'Feature' as const,
    properties: {
      name: overrides.name ?? '测试烟酒店',
      category: overrides.category ?? 'tobacco_retail',
      licenceNo: overrides.licenceNo ?? `T-${Math.random().toString(36).slice(2, 10)}`,
      licenceStatus: 'active',
      licensedOn: '2020-01-01',
      expiresOn: '2025-12-31',
      address: '原州区测试街2号',
      ...(overrides.countyCode ? { countyCode: overrides.countyCode } : {}),
      ...overrides.properties,
    },
    geometry: { type: 'Point', coordinates: [at[0], at[1]] },
  }
}
