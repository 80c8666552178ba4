/**
 * Builders for patrol-plan tests: a hand-made street grid as road GeoJSON, and police stations and units
 * written straight into their tables (the police registry's own API is tested by its own files).
 */
import { sql, type Kysely } from 'kysely'
import { offset } from './registry.ts'

/** Street grid of `n` × `n` blocks of `blockM` metres from its south-west corner `origin`, two-way streets, plus the `extra` ways. */
export function streetGrid(
  origin: readonly number[],
  n: number,
  blockM: number,
  extra: { properties: Record<string, unknown>; coordinates: number[][] }[] = [],
) {
  const at = (i: number, j: number) => offset(origin, j * blockM, i * blockM)
  const features: { type: 'Feature'; properties: Record<string, unknown>; geometry: { type: 'LineString'; coordinates: number[][] } }[] = []
  for (let i = 0; i <= n; i += 1) {
    features.push({
      type: 'Feature',
      properties: { highway: 'residential', name: `巡逻测试东西街${i}` },
      geometry: { type: 'LineString', coordinates: Array.from({ length: n + 1 }, (_, j) => at(i, j)) },
    })
    features.push({
      type: 'Feature',
      properties: { highway: 'residential', name: `巡逻测试南北路${i}` },
      geometry: { type: 'LineString', coordinates: Array.from({ length: n + 1 }, (_, j) => at(j, i)) },
    })
  }
  for (const e of extra)
    features.push({ type: 'Feature', properties: e.properties, geometry: { type: 'LineString', coordinates: e.coordinates } })
  return { type: 'FeatureCollection' as const, features, at }
}

export async function insertStation(
  db: Kysely<any>,
  station: { name: string; countyCode: string; at: readonly number[]; phone?: string },
): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    insert into police_stations (name, county_code, address, phone, geom)
    values (${station.name}, ${station.countyCode}, ${'原州区测试路8号'}, ${station.phone ?? '0954-1234567'}, ST_SetSRID(ST_MakePoint(${station.at[0]}::float8, ${station.at[1]}::float8), 4326))
    returning id`.execute(db)
  return rows[0]!.id
}

export async function insertUnit(
  db: Kysely<any>,
  unit: {
    name: string
    stationId: number
    mode: 'car' | 'foot'
    shiftStart: string
    shiftEnd: string
    base: readonly number[]
    active?: boolean
  },
): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    insert into patrol_units (name, station_id, mode, shift_start, shift_end, base, active)
    values (${unit.name}, ${unit.stationId}, ${unit.mode}, ${unit.shiftStart}::time, ${unit.shiftEnd}::time,
      ST_SetSRID(ST_MakePoint(${unit.base[0]}::float8, ${unit.base[1]}::float8), 4326), ${unit.active ?? true})
    returning id`.execute(db)
  return rows[0]!.id
}

/** Marks schools urban as a clerk would in the registry. */
export async function markUrban(db: Kysely<any>, ids: readonly number[], urban = true): Promise<void> {
  await sql`update schools set urban = ${urban}, urban_source = 'registry' where id = any(${[...ids]}::int[])`.execute(db)
}
