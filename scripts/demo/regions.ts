/**
 * Regions of the generated set: one of Guyuan's counties by index, or (in bbox mode, outside them) a
 * synthetic 6-digit code; with the code and name each feature carries.
 */
import type { CountyIndex } from './county-index.ts'
import type { CountyRef } from './reference.ts'

/** Where a point lies, and what the region is called. */
export interface Regions {
  /** county index containing the point; outside the counties a synthetic region code in bbox mode, otherwise -1 */
  at(lon: number, lat: number): number
  /** the region's 6-digit code */
  code(region: number): string
  /** the region's name, as addresses begin */
  name(region: number): string
}

/** The regions over these counties: synthetic ones outside them only when a bbox is given. */
export function createRegions(
  counties: readonly CountyRef[],
  index: CountyIndex,
  bbox: [number, number, number, number] | undefined,
): Regions {
  return {
    at: (lon, lat) => {
      const k = index.countyAt(lon, lat)
      return k >= 0 ? k : bbox ? syntheticRegion(lon, lat) : -1
    },
    code: (region) => (region >= 0 && region < counties.length ? counties[region]!.code : String(region)),
    name: (region) => (region >= 0 && region < counties.length ? counties[region]!.name : `示例区（${region}）`),
  }
}

/** synthetic 6-digit region code outside Guyuan: 99 + 1°-cell digits; real adcodes never start with 99 */
function syntheticRegion(lon: number, lat: number): number {
  const ix = ((Math.floor(lon + 180) % 100) + 100) % 100
  const iy = ((Math.floor(lat + 90) % 100) + 100) % 100
  return 990000 + ix * 100 + iy
}
