import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { downloadRegistry } from '../server/modules/formats/service.ts'
import type { DownloadFormat } from '../server/modules/formats/writers.ts'
import { candidatesFromFile, transformCandidates } from '../server/modules/registry/import-formats.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, seconds } from './support.ts'

/** Runs `work` and reports its time and the longest the event loop was held meanwhile. */
async function measured<T>(name: string, work: () => Promise<T>): Promise<T> {
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  const t = performance.now()
  const result = await work()
  const took = seconds(t)
  delay.disable()
  figure(name, took, 's', `event loop held at most ${(delay.max / 1e6).toFixed(0)} ms`)
  return result
}

/**
 * Downloads of N premises in every format (time, size, longest event-loop hold), then the import's file
 * path on the GeoPackage download: reading and mapping, and the PostGIS transform of Gauss-Krüger positions.
 *   npm run bench -- formats [--premises 100000]; BENCH_DATABASE_URL=… for the server.
 */
export async function benchFormats(args: Record<string, string>) {
  const { premises } = numberArgs(args, { premises: 100_000 })
  const handle = await openBenchDatabase('formats')
  console.log(`formats benchmark on ${handle.where}: ${premises} premises`)
  try {
    await bulkLoad(handle, { schools: 0, premises })
    const files = new Map<DownloadFormat, Buffer>()
    for (const format of ['geojson', 'csv', 'fgb', 'gpkg'] as const) {
      const bytes = await measured(`download ${format}`, async () => {
        const body = await downloadRegistry(handle.db, 'premises', format, {})
        const chunks: Buffer[] = []
        for await (const chunk of Buffer.isBuffer(body) ? Readable.from([body]) : body) chunks.push(Buffer.from(chunk as Buffer))
        return Buffer.concat(chunks)
      })
      files.set(format, bytes)
      figure(`  ${format} size`, bytes.byteLength / 1e6, 'MB')
    }
    const parsed = await measured('import: read and map the GeoPackage', () =>
      candidatesFromFile(handle.db, files.get('gpkg')!, 'premises', undefined, 4 * files.get('gpkg')!.byteLength),
    )
    figure('  candidates', parsed.candidates.length, '')
    // Plausible Gauss-Krüger metres (CM 105°E) for every point: what the transform of a surveyed file costs.
    for (const c of parsed.candidates) {
      const position = (c.feature as { geometry: { coordinates: number[] } }).geometry.coordinates
      position[0] = 500_000 + (position[0]! - 105) * 90_000
      position[1] = position[1]! * 110_950
    }
    await measured('import: transform Gauss-Krüger positions to WGS84 in PostGIS', () =>
      transformCandidates(handle.db, parsed.candidates, 4544),
    )
  } finally {
    await handle.close()
  }
}
