/**
 * The police desk's demo data, loaded once (marked `demo_police`): the generated built-up areas (which
 * make schools urban), a station per county seat (two in the city), their grids over the built-up areas,
 * two to four units each, warning signs and cameras for many schools (some zones without a sign, some
 * gates without a camera) and simulated check-ins for the last seven days. All of it is fictional.
 */
import fs from 'node:fs'
import path from 'node:path'
import bboxClip from '@turf/bbox-clip'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { geodesicDistance } from '../../db/postgis.ts'
import { validateCampus } from '../../geo/validate.ts'
import type { Actor } from '../../schemas/auth.ts'
import { recordMany as appendAuditMany } from '../audit-log/service.ts'
import { importRecords } from '../police/registry.ts'
import * as police from '../police/repository.ts'
import { addDays, cstDateOf } from '../police/rules.ts'
import { DATA_DIR } from '../reference/load.ts'
import * as repository from './repository.ts'

const SYSTEM: Actor = { user: null, requestId: 'demo-loader' }

interface AreaFeature {
  properties: { name: string; countyCode: string; seat: [number, number] }
  geometry: { type: 'Polygon'; coordinates: number[][][] }
}

/** Short place names of the county seats, for the stations' names. */
const SEAT_NAMES: Readonly<Record<string, string>> = {
  '640422': '西吉',
  '640423': '隆德',
  '640424': '泾源',
  '640425': '彭阳',
}

/** A number in [0, 1) from an integer, the same on every load (a demo needs no better randomness). */
const hash01 = (n: number, salt: number) => {
  let x = Math.imul(n ^ (salt * 0x9e3779b1), 0x85ebca6b) >>> 0
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296
}

const feature = (properties: Record<string, unknown>, geometry: unknown) => ({ type: 'Feature', properties, geometry })
const candidates = (features: unknown[]) => features.map((f, i) => ({ row: i + 1, feature: f, crs: 'wgs84' as const }))

/** Loads the police desk's demo data once; a later start, or a crash half-way, never duplicates it. */
export async function loadDemoPolice(db: Kysely<Database>, log: (message: string) => void = () => {}): Promise<void> {
  if (await repository.isMarked(db, 'demo_police')) return
  const collection = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'demo', 'urban-areas.geojson'), 'utf8')) as { features: AreaFeature[] }
  const areas = collection.features
  for (const [i, area] of areas.entries()) {
    const problems = validateCampus(area.geometry, `urban-areas.geojson/features/${i}/geometry`, {
      minAreaM2: 10_000,
      maxAreaM2: 500_000_000,
      what: 'built-up',
    })
    if (problems.length > 0) throw new Error(`demo urban areas: ${problems[0]!.field}: ${problems[0]!.message}`)
  }
  await db.transaction().execute(async (trx) => {
    await police.insertUrbanAreas(
      trx,
      areas.map((a) => ({ name: a.properties.name, countyCode: a.properties.countyCode, geometry: a.geometry })),
      true,
    )
    const urban = await police.refreshUrbanFromAreas(trx)

    // Stations: two in the city (west and east of its centre), one in each county seat, at the seat.
    const stationSpecs: { name: string; countyCode: string; at: [number, number]; grid: unknown; city: boolean }[] = []
    for (const area of areas) {
      const [lon, lat] = area.properties.seat
      const code = area.properties.countyCode
      if (code === '640402') {
        const [west, south, east, north] = bounds(area.geometry.coordinates[0]!)
        const halves = [
          { name: '示例古雁派出所（演示）', box: [west - 0.01, south - 0.01, lon, north + 0.01], at: [lon - 0.012, lat] },
          { name: '示例南关派出所（演示）', box: [lon, south - 0.01, east + 0.01, north + 0.01], at: [lon + 0.012, lat] },
        ] as const
        for (const half of halves) {
          const clipped = bboxClip({ type: 'Feature', properties: {}, geometry: area.geometry }, [...half.box] as [
            number,
            number,
            number,
            number,
          ])
          stationSpecs.push({ name: half.name, countyCode: code, at: [...half.at] as [number, number], grid: clipped.geometry, city: true })
        }
      } else {
        stationSpecs.push({
          name: `示例${SEAT_NAMES[code] ?? code}城关派出所（演示）`,
          countyCode: code,
          at: [lon, lat],
          grid: area.geometry,
          city: false,
        })
      }
    }
    const stations = await importRecords(
      trx,
      'stations',
      candidates(
        stationSpecs.map((s) =>
          feature({ name: s.name, phone: '0954-0000000', address: '示例地址（演示）' }, { type: 'Point', coordinates: s.at }),
        ),
      ),
      [],
      SYSTEM,
      { demo: true },
    )
    await importRecords(
      trx,
      'grids',
      candidates(stationSpecs.map((s, i) => feature({ name: s.name.replace('派出所', '网格'), stationId: stations.ids[i] }, s.grid))),
      [],
      SYSTEM,
      { demo: true },
    )
    // Two to four units a station, car and foot, whose shifts together cover 07:00–19:00.
    const unitFeatures = stationSpecs.flatMap((s, i) => {
      const stationId = stations.ids[i]
      const place = s.name.replace(/^示例|派出所（演示）$/g, '')
      const base = { type: 'Point', coordinates: s.at }
      const units = [
        feature({ name: `${place}巡逻一车`, stationId, mode: 'car', shiftStart: '07:00', shiftEnd: '19:00', officers: 2 }, base),
        feature({ name: `${place}步巡早班`, stationId, mode: 'foot', shiftStart: '07:00', shiftEnd: '13:00', officers: 2 }, base),
      ]
      if (s.city || i % 2 === 0)
        units.push(
          feature({ name: `${place}步巡晚班`, stationId, mode: 'foot', shiftStart: '13:00', shiftEnd: '19:00', officers: 2 }, base),
        )
      if (s.city)
        units.push(feature({ name: `${place}巡逻二车`, stationId, mode: 'car', shiftStart: '06:30', shiftEnd: '18:30', officers: 3 }, base))
      return units
    })
    const units = await importRecords(trx, 'units', candidates(unitFeatures), [], SYSTEM, { demo: true })

    // Signs and cameras by the main gate: about 80 % of zones have a sign installed, about 70 % of main gates a working camera.
    const schools = await demoSchoolGates(trx)
    const signs = schools
      .filter((s) => hash01(s.id, 1) < 0.9)
      .map((s) => {
        const r = hash01(s.id, 2)
        const state = r < 0.88 ? 'installed' : r < 0.94 ? 'damaged' : r < 0.97 ? 'missing' : 'planned'
        return feature({ schoolId: s.id, state, installedOn: state === 'planned' ? null : '2024-09-01' }, point(s.lon, s.lat, 12, 0))
      })
    const cameras = schools
      .filter((s) => s.gates > 0 && hash01(s.id, 3) < 0.8)
      .map((s) => {
        const r = hash01(s.id, 4)
        const state = r < 0.85 ? 'working' : r < 0.93 ? 'faulty' : 'offline'
        return feature({ schoolId: s.id, gate: 1, state, linkedToPolice: hash01(s.id, 5) < 0.6 }, point(s.lon, s.lat, 0, 8))
      })
    const signCount = signs.length > 0 ? (await importRecords(trx, 'signs', candidates(signs), [], SYSTEM, { demo: true })).imported : 0
    const cameraCount =
      cameras.length > 0 ? (await importRecords(trx, 'cameras', candidates(cameras), [], SYSTEM, { demo: true })).imported : 0

    const visits = await simulateVisits(trx, units.ids)
    await repository.mark(
      trx,
      'demo_police',
      {
        urbanSchools: urban,
        stations: stations.imported,
        units: units.imported,
        signs: signCount,
        cameras: cameraCount,
        visits,
        loadedAt: new Date().toISOString(),
      },
      'replace',
    )
    log(
      `loaded the police desk's demo data: ${areas.length} built-up areas (${urban} urban schools), ${stations.imported} stations, ${units.imported} units, ${signCount} signs, ${cameraCount} cameras, ${visits} simulated visits (generated, not real)`,
    )
  })
}

/** What a plan for today of the demo would be asked for: the city's county, today in China Standard Time. */
export function demoPlanRequest(now = Date.now()): { date: string; countyCode: string } {
  return { date: cstDateOf(now), countyCode: '640402' }
}

function bounds(ring: number[][]): [number, number, number, number] {
  const xs = ring.map((p) => p[0]!)
  const ys = ring.map((p) => p[1]!)
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}

/** A point `eastM`, `northM` metres from lon, lat (a flat offset: placement only, nothing is measured with it). */
function point(lon: number, lat: number, eastM: number, northM: number) {
  return { type: 'Point', coordinates: [lon + eastM / (111_320 * Math.cos((lat * Math.PI) / 180)), lat + northM / 110_574] }
}

/** The demo schools with their main gate (or a point on the campus where a school has none). */
async function demoSchoolGates(db: Transaction<Database>) {
  const { rows } = await sql<{ id: number; lon: number; lat: number; gates: number }>`
    select id, ST_X(p) as lon, ST_Y(p) as lat, gates from (
      select id, coalesce(ST_GeometryN(gates, 1), ST_PointOnSurface(geom)) as p, coalesce(ST_NumGeometries(gates), 0)::int as gates
      from schools where demo
    ) s order by id`.execute(db)
  return rows
}

/**
 * Check-ins for the last seven days (today up to now), at the main gate of each urban school of a station,
 * by that station's units: most schools get two visits a day more than two hours apart, some one, a few
 * none, so that coverage has something to show and something to flag.
 */
async function simulateVisits(db: Transaction<Database>, unitIds: readonly number[]): Promise<number> {
  const stations = await police.coverageStations(db, {})
  const { rows: unitRows } = await sql<{ id: number; station_id: number; shift_start: string; shift_end: string }>`
    select id, station_id, to_char(shift_start, 'HH24:MI') as shift_start, to_char(shift_end, 'HH24:MI') as shift_end from patrol_units
    where id in (${sql.join(unitIds.length > 0 ? unitIds : [0])})`.execute(db)
  const now = Date.now()
  const today = cstDateOf(now)
  const rows: { unit: number; school: number; at: string }[] = []
  const seen = new Set<number>()
  for (const station of stations) {
    const units = unitRows.filter((u) => u.station_id === station.id)
    if (units.length === 0) continue
    for (const schoolId of station.school_ids) {
      if (seen.has(schoolId)) continue
      seen.add(schoolId)
      for (let d = -6; d <= 0; d += 1) {
        const date = addDays(today, d)
        const r = hash01(schoolId * 31 + d + 7, 6)
        const count = r < 0.12 ? 0 : r < 0.3 ? 1 : r < 0.9 ? 2 : 3
        // Morning (07:30–10:30), early afternoon (12:45–14:45), late afternoon (15:30–18:00): pairwise ≥ 2 h apart.
        const slots: [number, number][] = [
          [7 * 60 + 30, 180],
          [12 * 60 + 45, 120],
          [15 * 60 + 30, 150],
        ]
        for (let k = 0; k < count; k += 1) {
          const [from, span] = slots[k]!
          const minute = from + Math.floor(hash01(schoolId * 7 + d * 3 + k, 7) * span)
          const at = new Date(
            `${date}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00+08:00`,
          )
          if (at.getTime() > now) continue
          const unit = units[Math.floor(hash01(schoolId + k, 8) * units.length)]!
          rows.push({ unit: unit.id, school: schoolId, at: at.toISOString() })
        }
      }
    }
  }
  let stored = 0
  for (let i = 0; i < rows.length; i += 2000) {
    const batch = rows.slice(i, i + 2000)
    const gate = sql`coalesce(ST_GeometryN(s.gates, 1), ST_PointOnSurface(s.geom))`
    const { rows: inserted } = await sql<{ id: number; unit_id: number; school_id: number; at: Date }>`
      insert into patrol_visits (unit_id, school_id, at, geom, distance_m, source, source_crs, demo)
      select v.unit, v.school, v.at, ${gate}, ${geodesicDistance(sql`s.geom`, gate)}, 'checkin', 'wgs84', true
      from json_to_recordset(${JSON.stringify(batch)}::json) as v(unit int, school int, at timestamptz)
      join schools s on s.id = v.school
      on conflict (unit_id, school_id, at) do nothing
      returning id, unit_id, school_id, at`.execute(db)
    await appendAuditMany(
      db,
      SYSTEM,
      inserted.map((v) => ({
        action: 'import',
        entityType: 'patrol_visit',
        entityId: v.id,
        after: { unitId: v.unit_id, schoolId: v.school_id, at: new Date(v.at).toISOString(), source: 'checkin', demo: true },
      })),
    )
    stored += inserted.length
  }
  return stored
}
