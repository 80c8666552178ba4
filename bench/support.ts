import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { connectDatabase, type DatabaseHandle } from '../server/db/connect.ts'
import { migrateToLatest } from '../server/db/migrate.ts'
import { buildApp } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import type { Department, Role } from '../server/schemas/common.ts'
import { createUser } from '../server/modules/users/service.ts'
import { createScratchDatabase } from '../server/db/scratch-database.ts'
import { createRegistryGenerator } from '../scripts/demo/generator.ts'
import type { GenerateOptions } from '../scripts/demo/options.ts'
import { loadReferenceData as loadGeneratorReference } from '../scripts/demo/reference.ts'
import type { PremisesRecord, SchoolRecord } from '../server/modules/registry/kinds.ts'
import { insertPremises, insertSchools } from '../server/modules/registry/repository.ts'
import { DATA_DIR, loadReferenceData } from '../server/modules/reference/load.ts'
import { insertCounties } from '../server/modules/reference/repository.ts'

/** Prints one figure line: name, value, unit, and what it is compared with. */
export function figure(name: string, value: number, unit: string, note = '') {
  // A ratio below 1 with two decimals: 0.13× and 0.2× differ by half.
  const decimals = unit === 's' || (unit === '×' && value < 1) ? 2 : 1
  console.log(`${name.padEnd(44)} ${value.toFixed(decimals).padStart(10)} ${unit.padEnd(4)} ${note}`)
}

export const seconds = (since: number) => (performance.now() - since) / 1000

/** The value below which p % of the ascending-sorted values lie (nearest rank, no interpolation). */
export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** A benchmark's numeric options (--schools, --premises, --requests …), each its default when not given. */
export function numberArgs<K extends string>(args: Record<string, string>, defaults: Record<K, number>): Record<K, number> {
  return Object.fromEntries(Object.entries<number>(defaults).map(([name, fallback]) => [name, Number(args[name] ?? fallback)])) as Record<
    K,
    number
  >
}

/** The --bbox option as minLon,minLat,maxLon,maxLat, undefined when not given. */
export const bboxArg = (args: Record<string, string>) =>
  args.bbox ? (args.bbox.split(',').map(Number) as [number, number, number, number]) : undefined

/**
 * A fresh, migrated database for a benchmark: a new database on the server named by BENCH_DATABASE_URL
 * (dropped at the end), otherwise an embedded PGlite in a temporary folder.
 */
export async function openBenchDatabase(label: string): Promise<DatabaseHandle & { where: string }> {
  const url = process.env.BENCH_DATABASE_URL
  if (url) {
    const scratch = await createScratchDatabase(url, `zones_bench_${label}_${process.pid}`)
    return prepared(await connectDatabase({ databaseUrl: scratch.url, poolSize: 8 }), 'PostgreSQL server', () => scratch.drop())
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `zones-bench-${label}-`))
  return prepared(await connectDatabase({ dataDir: dir }), 'embedded PGlite', () => fs.rmSync(dir, { recursive: true, force: true }))
}

/** The handle migrated and given the reference layers; closing it also removes the database. */
async function prepared(handle: DatabaseHandle, where: string, remove: () => unknown): Promise<DatabaseHandle & { where: string }> {
  await migrateToLatest(handle.db)
  await loadReferenceData(handle.db)
  return {
    ...handle,
    where,
    close: async () => {
      await handle.close()
      await remove()
    },
  }
}

/** The project's generator over the shipped reference data. */
export function generator(options: GenerateOptions) {
  return createRegistryGenerator(options, loadGeneratorReference(DATA_DIR))
}

/**
 * Loads generated schools and premises straight into the tables in 1,000-row statements, without
 * computing conflicts (benchmarks time that separately).
 */
export async function bulkLoad(handle: DatabaseHandle, options: GenerateOptions, log = (_: string) => {}) {
  const gen = generator(options)
  const started = performance.now()
  let batch: (SchoolRecord | PremisesRecord)[] = []
  let count = 0
  // county_code refers to the counties table: the generator's synthetic regions outside Guyuan (bbox mode, 1° cells
  // coded 99…) are stored as counties first, each the cell around its first record, as a national table would hold them.
  const known = new Set((await handle.db.selectFrom('counties').select('code').execute()).map((c) => c.code.trim()))
  const addRegions = async () => {
    const cells = new Map<string, [number, number]>()
    for (const record of batch) {
      const code = record.properties.countyCode
      if (known.has(code) || cells.has(code)) continue
      const coordinates = record.geometry.coordinates as unknown[]
      let first = coordinates
      while (Array.isArray(first[0])) first = first[0] as unknown[]
      cells.set(code, [Math.floor(first[0] as number), Math.floor(first[1] as number)])
    }
    if (cells.size === 0) return
    await insertCounties(
      handle.db,
      [...cells].map(([code, [x, y]]) => ({
        code,
        name: `示例区（${code}）`,
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [x, y],
              [x + 1, y],
              [x + 1, y + 1],
              [x, y + 1],
              [x, y],
            ],
          ],
        },
      })),
    )
    for (const code of cells.keys()) known.add(code)
  }
  const flush = async (kind: 'schools' | 'premises') => {
    if (batch.length === 0) return
    await addRegions()
    if (kind === 'schools') await insertSchools(handle.db, batch as SchoolRecord[])
    else await insertPremises(handle.db, batch as PremisesRecord[])
    count += batch.length
    batch = []
    if (count % 50_000 < 1000) log(`  loaded ${count} ${kind} (${seconds(started).toFixed(0)} s)`)
  }
  for (const school of gen.schools()) {
    const { demo: _demo, ...properties } = school.properties
    batch.push({
      properties: properties as SchoolRecord['properties'],
      geometry: school.geometry as SchoolRecord['geometry'],
      sourceCrs: 'wgs84',
      demo: true,
    })
    if (batch.length === 1000) await flush('schools')
  }
  await flush('schools')
  count = 0
  for (const premises of gen.premises()) {
    const { demo: _demo, ...properties } = premises.properties
    batch.push({
      properties: properties as PremisesRecord['properties'],
      geometry: premises.geometry as PremisesRecord['geometry'],
      sourceCrs: 'wgs84',
      demo: true,
    })
    if (batch.length === 1000) await flush('premises')
  }
  await flush('premises')
  return gen
}

/** The service over a bench database, listening on a free port, with a signed-in user's session cookie. */
export async function startBenchService(handle: DatabaseHandle, user: { department: Department; role: Role }, username = 'bench') {
  const app = await buildApp(
    loadConfig({}, { port: 0, logLevel: 'silent', serveWeb: false, loadDemoData: false, loginRateLimitPerMinute: 1000 }),
    { database: handle, logger: false },
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  await createUser(app.db, { username, password: 'bench-password-1', ...user }, { user: null, requestId: 'bench' })
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ username, password: 'bench-password-1' }),
  })
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  return { app, url, cookie }
}

/** The first `count` generated premises positions: realistic places to check. */
export function premisesPoints(gen: { premises(): Iterable<{ geometry: { coordinates: unknown } }> }, count: number): [number, number][] {
  const points: [number, number][] = []
  for (const p of gen.premises()) {
    if (points.length >= count) break
    points.push(p.geometry.coordinates as [number, number])
  }
  return points
}
