/** Small builders of registry features from coordinates. Offsets use a local flat approximation: fine for fixtures, never for oracles. */

export const GUYUAN = { lon: 106.238411, lat: 36.016037 }
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
  const center = overrides.center ?? [GUYUAN.lon, GUYUAN.lat]
  const ring = rectangle(center)
  return {
    type: 'Feature' as const,
    properties: {
      name: overrides.name ?? '测试小学',
      schoolType: overrides.schoolType ?? 'primary',
      countyCode: overrides.countyCode ?? '640402',
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
  const at = overrides.at ?? offset([GUYUAN.lon, GUYUAN.lat], 300, 0)
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
      countyCode: overrides.countyCode ?? '640402',
      ...overrides.properties,
    },
    geometry: { type: 'Point', coordinates: [at[0], at[1]] },
  }
}
