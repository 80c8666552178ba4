import fs from 'node:fs'
import path from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import { sql, type Kysely } from 'kysely'
import { geomFromGeoJson, pointFromLonLat } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import { pinyinColumns } from '../search/pinyin.ts'

export const DATA_DIR = path.resolve(import.meta.dirname, '../../../data')

interface CountyFeature {
  properties: { adcode: number | string; name: string }
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
}

/**
 * Loads the real reference layers shipped in data/ (county outlines, townships with GeoNames seats,
 * villages) once; later starts find them and do nothing.
 */
export async function loadReferenceData(db: Kysely<Database>, log: (message: string) => void = () => {}): Promise<boolean> {
  const existing = await db.selectFrom('counties').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  if (Number(existing.n) > 0) return false
  const counties = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'boundaries/counties.geojson'), 'utf8')) as { features: CountyFeature[] }
  const townships = parseCsv(fs.readFileSync(path.join(DATA_DIR, 'gazetteer/guyuan_townships_nbs2023.csv'), 'utf8'), { columns: true }) as Record<string, string>[]
  const villages = parseCsv(fs.readFileSync(path.join(DATA_DIR, 'gazetteer/guyuan_villages_nbs2023.csv'), 'utf8'), { columns: true }) as Record<string, string>[]
  const places = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'gazetteer/geonames_cities500_guyuan_bbox.geojson'), 'utf8')) as {
    features: { properties: Record<string, unknown>; geometry: { coordinates: [number, number] } }[]
  }
  const seatOf = new Map<string, [number, number]>()
  for (const place of places.features) {
    for (const key of ['name_zh', 'alternatenames_zh', 'name']) {
      const value = place.properties[key]
      for (const name of typeof value === 'string' ? value.split(/[,;]/) : []) if (name && !seatOf.has(name.trim())) seatOf.set(name.trim(), place.geometry.coordinates)
    }
  }
  const countyRows = counties.features.filter((f) => /^6404\d\d$/.test(String(f.properties.adcode)) && String(f.properties.adcode) !== '640400')
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('counties')
      .values(countyRows.map((f) => ({ code: String(f.properties.adcode), name: f.properties.name, geom: sql`ST_Multi(${geomFromGeoJson(f.geometry)})` })))
      .execute()
    await trx
      .insertInto('townships')
      .values(
        townships.map((t) => {
          const seat = seatOf.get(t.name!) ?? seatOf.get(t.name!.replace(/(镇|乡|街道)$/, ''))
          return { code: t.code!, name: t.name!, county_code: t.county_code!, geom: seat ? pointFromLonLat(seat[0], seat[1]) : null, ...pinyinColumns(t.name!) }
        }),
      )
      .execute()
    for (let i = 0; i < villages.length; i += 500) {
      await trx
        .insertInto('villages')
        .values(villages.slice(i, i + 500).map((v) => ({ code: v.code!, name: v.name!, township_code: v.township_code!, county_code: v.county_code!, ...pinyinColumns(v.name!) })))
        .execute()
    }
  })
  log(`loaded reference data: ${countyRows.length} counties, ${townships.length} townships, ${villages.length} villages`)
  return true
}
