import { candidatesFromGeoJson, importRecords } from '../server/modules/registry/import.ts'
import { bulkLoad, figure, generator, numberArgs, openBenchDatabase, seconds } from './support.ts'

/**
 * 100,000 premises through the real import path (validation, coordinate intake, licence checks,
 * insert, history entries and conflict maintenance), next to the 600 demo-sized schools.
 *   npm run bench -- import [--premises 100000]; BENCH_DATABASE_URL=… for the server.
 */
export async function benchImport(args: Record<string, string>) {
  const { premises, schools } = numberArgs(args, { premises: 100_000, schools: 600 })
  const handle = await openBenchDatabase('import')
  console.log(`import benchmark on ${handle.where}: ${premises} premises beside ${schools} schools (goal: 100,000 in under 60 s)`)
  try {
    await bulkLoad(handle, { schools, premises: 0 })
    // A different seed so licence numbers and positions are fresh; the same schools.
    const features = [...generator({ schools, premises, seed: 7 }).premises()].map((f) => {
      const { demo: _demo, ...properties } = f.properties
      return { ...f, properties }
    })
    const candidates = candidatesFromGeoJson({ type: 'FeatureCollection', features }, 'wgs84')
    const t = performance.now()
    const result = await importRecords(handle.db, candidates, [], { kind: 'premises', crs: 'wgs84' }, { user: null, requestId: 'bench' })
    const took = seconds(t)
    figure(`import of ${result.imported} premises`, took, 's', 'goal < 60 s')
    figure('rows per second', result.imported / took, '/s')
  } finally {
    await handle.close()
  }
}
