import fs from 'node:fs'
import path from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import * as repository from './repository.ts'
import type { SearchColumns } from './repository.ts'

export const DATA_DIR = path.resolve(import.meta.dirname, '../../../data')

interface CountyFeature {
  properties: { adcode: number | string; name: string }
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
}

export interface ReferenceOptions {
  /**
   * The pinyin search columns of a place name. The search module owns them: the start-up passes its
   * function in; without one the rows are stored without pinyin and the search fills them at the next start.
   */
  searchColumns?: (name: string) => SearchColumns
}

/**
 * Loads the real reference layers shipped in data/ (county outlines, townships with GeoNames seats,
 * villages) once; later starts find them and do nothing.
 */
export async function loadReferenceData(
  db: Kysely<Database>,
  log: (message: string) => void = () => {},
  options: ReferenceOptions = {},
): Promise<boolean> {
  if (await repository.hasCounties(db)) return false
  const search = options.searchColumns
  const counties = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'boundaries/counties.geojson'), 'utf8')) as { features: CountyFeature[] }
  const townships = parseCsv(fs.readFileSync(path.join(DATA_DIR, 'gazetteer/guyuan_townships_nbs2023.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[]
  const villages = parseCsv(fs.readFileSync(path.join(DATA_DIR, 'gazetteer/guyuan_villages_nbs2023.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[]
  const places = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'gazetteer/geonames_cities500_guyuan_bbox.geojson'), 'utf8')) as {
    features: { properties: Record<string, unknown>; geometry: { coordinates: [number, number] } }[]
  }
  const seatOf = new Map<string, [number, number]>()
  for (const place of places.features) {
    for (const key of ['name_zh', 'alternatenames_zh', 'name']) {
      const value = place.properties[key]
      for (const name of typeof value === 'string' ? value.split(/[,;]/) : [])
        if (name && !seatOf.has(name.trim())) seatOf.set(name.trim(), place.geometry.coordinates)
    }
  }
  const countyRows = counties.features.filter(
    (f) => /^6404\d\d$/.test(String(f.properties.adcode)) && String(f.properties.adcode) !== '640400',
  )
  await db.transaction().execute(async (trx) => {
    await repository.insertCounties(
      trx,
      countyRows.map((f) => ({ code: String(f.properties.adcode), name: f.properties.name, geometry: f.geometry })),
    )
    await repository.insertTownships(
      trx,
      townships.map((t) => ({
        code: t.code!,
        name: t.name!,
        countyCode: t.county_code!,
        seat: seatOf.get(t.name!) ?? seatOf.get(t.name!.replace(/(镇|乡|街道)$/, '')),
        search: search?.(t.name!),
      })),
    )
    await repository.insertVillages(
      trx,
      villages.map((v) => ({
        code: v.code!,
        name: v.name!,
        townshipCode: v.township_code!,
        countyCode: v.county_code!,
        search: search?.(v.name!),
      })),
    )
  })
  log(`loaded reference data: ${countyRows.length} counties, ${townships.length} townships, ${villages.length} villages`)
  return true
}
