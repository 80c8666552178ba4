import { monitorEventLoopDelay } from 'node:perf_hooks'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../server/db/types.ts'
import { loadDemoData } from '../server/modules/demo/load.ts'
import { segmentsIn } from '../server/modules/patrol/plans/repository.ts'
import { createPlan } from '../server/modules/patrol/plans/service.ts'
import { readRoadGeoJson } from '../server/modules/roads/read.ts'
import { importRoads } from '../server/modules/roads/service.ts'
import { refreshWalkingConflicts } from '../server/modules/zones/maintenance.ts'
import type { PatrolPlan } from '../server/schemas/patrol-plans.ts'
import { figure, numberArgs, openBenchDatabase, seconds } from './support.ts'

const CENTRE: [number, number] = [106.238411, 36.016037]
const SYSTEM = { user: null, requestId: 'bench' }
const at = ([lon, lat]: readonly number[], eastM: number, northM: number): [number, number] => [
  lon! + eastM / (111320 * Math.cos((lat! * Math.PI) / 180)),
  lat! + northM / 110574,
]

/**
 * Daily patrol plans, on the embedded database or (BENCH_DATABASE_URL) a PostgreSQL server, in one run:
 *
 *  (a) 原州区 on the demo data (its generated streets and 227 schools; the schools within 5 km of the
 *      centre taken as urban unless the demo marks urban schools itself) with 12 units of two stations;
 *  (b) a synthetic county: a street grid of 120 × 120 blocks of 250 m (30 km square) in 原州区's place, 2,000
 *      schools at random on it, 60 % urban, and 100 units (two thirds cars) at ten stations.
 *
 * For each: time to plan through the service (network read, travel matrix, posts MILP, routing, routes,
 * storing), the plan's length against a nearest-neighbour plan over the same posts and against the lower
 * bound, posts and visits planned and unmet, and the longest the event loop was held.
 *
 *   npm run bench -- patrol [--schools 2000] [--units 100] [--budget 3000000 (schedules the local search may compute)] [--part demo|synthetic|both]
 *
 * Goals (police desk issue): 原州区 in < 30 s embedded; ≥ 20 % shorter than nearest-neighbour.
 */
export async function benchPatrol(args: Record<string, string>) {
  const { schools, units, budget } = numberArgs(args, { schools: 2000, units: 100, budget: 3_000_000 })
  const part = args.part ?? 'both'
  if (part !== 'synthetic') {
    const handle = await openBenchDatabase('patrol_demo')
    console.log(`patrol plans on ${handle.where}`)
    try {
      const t = performance.now()
      await loadDemoData(handle.db, 'bench-demo-password')
      figure('load the demo data', seconds(t), 's')
      const urban = await prepareDemo(handle.db)
      const plan = await timedPlan(handle.db, '原州区 (demo)', { date: '2026-12-02', countyCode: '640402' }, budget)
      console.log(`  ${plan.schools.length} schools (${urban}), ${plan.units.length} units`)
    } finally {
      await handle.close()
    }
  }
  if (part !== 'demo') {
    const handle = await openBenchDatabase('patrol_synthetic')
    try {
      const t = performance.now()
      await syntheticCounty(handle.db, schools, units)
      figure(`synthetic county: ${schools} schools, ${units} units`, seconds(t), 's', 'load (grid import, schools, units)')
      await timedPlan(handle.db, 'synthetic county', { date: '2026-12-02', countyCode: '640402' }, budget)
      await networkRead(handle.db)
    } finally {
      await handle.close()
    }
  }
}

async function timedPlan(
  db: Kysely<Database>,
  label: string,
  body: { date: string; countyCode: string },
  budget: number,
): Promise<PatrolPlan> {
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  const t = performance.now()
  const plan = await createPlan(db, body, SYSTEM, { searchBudget: budget })
  const took = seconds(t)
  loop.disable()
  const stops = plan.units.flatMap((u) => u.stops)
  const posts = stops.filter((s) => s.kind === 'post').length
  const visits = stops.filter((s) => s.kind === 'visit').length
  const unmetPosts = plan.unmet.filter((u) => u.kind === 'post').length
  const unmetVisits = plan.unmet.filter((u) => u.kind === 'visit').length
  const solver = plan.solver as {
    networkSeconds: number
    routesSeconds: number
    postsSeconds: number
    seconds: number
    localSearchSeconds: number
    variables: number
    constraints: number
    gap: number | null
    nearestNeighbourVisits: number
  }
  console.log(`${label}:`)
  figure(
    '  time to plan (service, all steps)',
    took,
    's',
    `network and travel matrix ${solver.networkSeconds.toFixed(2)} s, planner ${solver.seconds.toFixed(2)} s (posts MILP ${solver.postsSeconds.toFixed(2)} s, local search ${solver.localSearchSeconds.toFixed(2)} s), routes ${solver.routesSeconds.toFixed(2)} s`,
  )
  figure(
    '  total length',
    plan.lengthM / 1000,
    'km',
    `${visits} visits, ${posts} posts planned; unmet ${unmetVisits} visits, ${unmetPosts} posts`,
  )
  const nn = plan.nearestNeighbourM ?? Number.NaN
  figure(
    '  nearest-neighbour plan, same posts',
    nn / 1000,
    'km',
    `${solver.nearestNeighbourVisits} visits; plan is ${(100 * (1 - plan.lengthM / nn)).toFixed(1)} % shorter` +
      (solver.nearestNeighbourVisits !== visits
        ? ` (per visit: ${(plan.lengthM / Math.max(1, visits)).toFixed(0)} m against ${(nn / Math.max(1, solver.nearestNeighbourVisits)).toFixed(0)} m)`
        : ''),
  )
  figure('  lower bound', plan.lowerBoundM / 1000, 'km', `plan is ${(plan.lengthM / plan.lowerBoundM).toFixed(2)} × the bound`)
  figure(
    '  posts MILP',
    solver.variables,
    'vars',
    `${solver.constraints} constraints, gap ${solver.gap === null ? '—' : (100 * solver.gap).toFixed(3) + ' %'}`,
  )
  figure('  longest event-loop delay', loop.max / 1e6, 'ms', `p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`)
  return plan
}

/**
 * The synthetic county's road network read as a plan reads it (in pages, yielding between them): the longest
 * single step between two yields, in wall time and in CPU time (what a step holds the thread for even when
 * other work on the machine stretches the wall time).
 */
async function networkRead(db: Kysely<Database>) {
  const [west, south] = at(CENTRE, -18000, -18000)
  const [east, north] = at(CENTRE, 18000, 18000)
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  let wall = performance.now()
  let used = cpu()
  let steps = 0
  let longestWall = 0
  let longestCpu = 0
  const t = performance.now()
  const segments = await segmentsIn(db, 'car', [west, south, east, north], async () => {
    steps += 1
    longestWall = Math.max(longestWall, performance.now() - wall)
    longestCpu = Math.max(longestCpu, cpu() - used)
    await new Promise<void>((resolve) => setImmediate(resolve))
    wall = performance.now()
    used = cpu()
  })
  figure(
    '  road network read (car), longest step',
    longestWall,
    'ms',
    `${longestCpu.toFixed(0)} ms CPU; ${segments.length} segments in ${steps + 1} steps, ${seconds(t).toFixed(2)} s in all`,
  )
}

/** Two stations of 原州区 with 12 units; the schools within 5 km of the centre urban when the demo marks none. */
async function prepareDemo(db: Kysely<Database>): Promise<string> {
  const marked = await sql<{ n: number }>`select count(*)::int as n from schools where county_code = '640402' and urban`.execute(db)
  let urban = `${marked.rows[0]!.n} urban as the demo marks them`
  if (marked.rows[0]!.n === 0) {
    const { numAffectedRows } = await sql`update schools set urban = true, urban_source = 'registry'
      where county_code = '640402' and ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(${CENTRE[0]}::float8, ${CENTRE[1]}::float8), 4326)::geography, 5000)`.execute(
      db,
    )
    urban = `${Number(numAffectedRows)} urban: within 5 km of the centre`
  }
  const existing = await sql<{
    n: number
  }>`select count(*)::int as n from patrol_units u join police_stations s on s.id = u.station_id where s.county_code = '640402'`.execute(db)
  if (existing.rows[0]!.n > 0) return `${urban}; the demo's own units`
  const bases = [at(CENTRE, -400, 200), at(CENTRE, 1500, -600)]
  const stations: number[] = []
  for (const [k, base] of bases.entries()) stations.push(await insertStation(db, `示例${k === 0 ? '城区' : '东关'}派出所`, base))
  for (let k = 0; k < 12; k += 1) {
    const foot = k % 3 === 2
    await insertUnit(db, {
      name: `${k % 2 === 0 ? '城区' : '东关'}${foot ? '步巡' : '车巡'}${k + 1}组`,
      stationId: stations[k % 2]!,
      mode: foot ? 'foot' : 'car',
      shiftStart: k < 6 ? '07:00' : '09:00',
      shiftEnd: foot ? (k < 6 ? '15:00' : '17:00') : k < 6 ? '17:00' : '19:00',
      base: bases[k % 2]!,
    })
  }
  return urban
}

/** A 30 km street grid in 原州区's place, `schools` schools on it (60 % urban) and `units` units at ten stations. */
export async function syntheticCounty(db: Kysely<Database>, schools: number, units: number) {
  const cells = 120
  const block = 250
  const origin = at(CENTRE, (-cells * block) / 2, (-cells * block) / 2)
  const node = (i: number, j: number) => at(origin, j * block, i * block)
  const features = []
  for (let i = 0; i <= cells; i += 1) {
    features.push({
      type: 'Feature',
      properties: { highway: i % 10 === 5 ? 'primary' : 'residential', ...(i % 20 === 5 ? { oneway: 'yes' } : {}) },
      geometry: { type: 'LineString', coordinates: Array.from({ length: cells + 1 }, (_, j) => node(i, j)) },
    })
    features.push({
      type: 'Feature',
      properties: { highway: i % 10 === 5 ? 'primary' : 'residential' },
      geometry: { type: 'LineString', coordinates: Array.from({ length: cells + 1 }, (_, j) => node(j, i)) },
    })
  }
  await importRoads(
    db,
    readRoadGeoJson({ type: 'FeatureCollection', features }, 'wgs84'),
    { format: 'geojson', source: 'bench grid', onNetworkChanged: refreshWalkingConflicts },
    SYSTEM,
  )
  let seed = 12345
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296
  const rows = Array.from({ length: schools }, (_, k) => {
    const i = Math.floor(random() * cells)
    const j = Math.floor(random() * cells)
    const centre = at(node(i, j), block / 2, block / 2)
    const gate = at(centre, 0, -40)
    const ring = [at(centre, -50, -40), at(centre, 50, -40), at(centre, 50, 40), at(centre, -50, 40), at(centre, -50, -40)]
    return { name: `基准学校${k + 1}`, urban: random() < 0.6, students: Math.floor(100 + random() * 1500), ring, gate }
  })
  for (let k = 0; k < rows.length; k += 500) {
    const batch = JSON.stringify(
      rows.slice(k, k + 500).map((r) => ({
        ...r,
        ring: JSON.stringify({ type: 'Polygon', coordinates: [r.ring] }),
        gate: JSON.stringify({ type: 'MultiPoint', coordinates: [r.gate] }),
      })),
    )
    await sql`insert into schools (name, school_type, county_code, students, geom, gates, urban, urban_source)
      select x.name, 'primary', '640402', x.students, ST_SetSRID(ST_GeomFromGeoJSON(x.ring), 4326), ST_SetSRID(ST_GeomFromGeoJSON(x.gate), 4326), x.urban, 'registry'
      from json_to_recordset(${batch}::json) as x(name text, students int, ring text, gate text, urban boolean)`.execute(db)
  }
  const stations: [number, [number, number]][] = []
  for (let s = 0; s < 10; s += 1) {
    const base = node(Math.floor(random() * cells), Math.floor(random() * cells))
    stations.push([await insertStation(db, `基准派出所${s + 1}`, base), base])
  }
  for (let u = 0; u < units; u += 1) {
    const [stationId, base] = stations[u % stations.length]!
    const foot = u % 3 === 2
    await insertUnit(db, {
      name: `基准${foot ? '步巡' : '车巡'}${u + 1}组`,
      stationId,
      mode: foot ? 'foot' : 'car',
      shiftStart: u % 2 === 0 ? '07:00' : '09:00',
      shiftEnd: foot ? (u % 2 === 0 ? '15:00' : '17:00') : u % 2 === 0 ? '17:00' : '19:00',
      base,
    })
  }
}

async function insertStation(db: Kysely<Database>, name: string, at: readonly number[]): Promise<number> {
  const { rows } = await sql<{ id: number }>`insert into police_stations (name, county_code, geom)
    values (${name}, '640402', ST_SetSRID(ST_MakePoint(${at[0]}::float8, ${at[1]}::float8), 4326)) returning id`.execute(db)
  return rows[0]!.id
}

async function insertUnit(
  db: Kysely<Database>,
  unit: { name: string; stationId: number; mode: string; shiftStart: string; shiftEnd: string; base: readonly number[] },
): Promise<void> {
  await sql`insert into patrol_units (name, station_id, mode, shift_start, shift_end, base)
    values (${unit.name}, ${unit.stationId}, ${unit.mode}, ${unit.shiftStart}::time, ${unit.shiftEnd}::time,
      ST_SetSRID(ST_MakePoint(${unit.base[0]}::float8, ${unit.base[1]}::float8), 4326))`.execute(db)
}
