import { sql } from 'kysely'
import { buildReport } from '../server/modules/reports/service.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, seconds, startBenchService } from './support.ts'

const GUYUAN: [number, number, number, number] = [105.32, 35.24, 106.95, 36.52]

/**
 * The conflicts report exported through HTTP as XLSX and as CSV with `--rows` conflicts (default 100,000): time,
 * bytes, and the peak growth of the process's resident memory (server and client share it; the client drops
 * each chunk) against the size of the rows themselves (the CSV's bytes).
 *   npm run bench -- reports [--rows 100000] [--schools 2000]   (with node's --expose-gc, e.g. NODE_OPTIONS=--expose-gc, the
 *   collector runs before each export so that the growth is the export's own)
 */
export async function benchReports(args: Record<string, string>) {
  const { rows, schools } = numberArgs(args, { rows: 100_000, schools: 2000 })
  const handle = await openBenchDatabase('reports')
  console.log(`reports benchmark on ${handle.where}: ${rows} conflicts between ${schools} schools and ${rows} premises over Guyuan`)
  try {
    const started = performance.now()
    await bulkLoad(handle, { schools, premises: rows, bbox: GUYUAN })
    // One conflict per premises, each with some school under the rule of its category and type: the export reads
    // and measures whatever pairs are stored, so the pairs need not be real ones.
    await sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band)
      select p.id, s.id, r.id, r.version, 'core' from premises p
      join schools s on s.id = (select min(id) from schools) + (p.id % ${schools})
      join rules r on r.category = p.category and r.school_type = s.school_type`.execute(handle.db)
    await sql`analyze conflicts`.execute(handle.db)
    const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from conflicts`.execute(handle.db)
    console.log(`loaded in ${seconds(started).toFixed(1)} s: ${count[0]!.n} conflicts`)
    const { app, url, cookie } = await startBenchService(handle, { department: 'governance', role: 'supervisor' })

    const gc = () => (globalThis as { gc?: () => void }).gc?.()
    const results: Record<string, { s: number; bytes: number; rssMiB: number; heapMiB: number; liveMiB: number }> = {}
    for (const format of ['csv', 'xlsx', 'csv', 'xlsx']) {
      gc()
      const baseline = process.memoryUsage()
      let rss = baseline.rss
      let heap = baseline.heapUsed
      let live = baseline.heapUsed
      const sampler = setInterval(() => {
        const now = process.memoryUsage()
        rss = Math.max(rss, now.rss)
        heap = Math.max(heap, now.heapUsed)
      }, 20)
      // What the export keeps alive (garbage collected first), sampled twice a second.
      const liveSampler = setInterval(() => {
        gc()
        live = Math.max(live, process.memoryUsage().heapUsed)
      }, 500)
      const t = performance.now()
      const response = await fetch(`${url}/api/reports/conflicts.${format}`, { headers: { cookie } })
      if (response.status !== 200) throw new Error(`${format}: ${response.status} ${await response.text()}`)
      let bytes = 0
      const reader = response.body!.getReader()
      for (let part = await reader.read(); !part.done; part = await reader.read()) bytes += part.value.length
      const took = seconds(t)
      clearInterval(sampler)
      clearInterval(liveSampler)
      // The first run of each format warms up (query plans, the exceljs and zip code); the second is reported.
      results[format] = {
        s: took,
        bytes,
        rssMiB: (rss - baseline.rss) / 2 ** 20,
        heapMiB: (heap - baseline.heapUsed) / 2 ** 20,
        liveMiB: (live - baseline.heapUsed) / 2 ** 20,
      }
    }
    // For comparison: the same rows read the same way but all held at once, as a writer that buffers would hold them.
    const report = await buildReport(
      handle.db,
      'conflicts',
      {},
      { id: 0, username: 'bench', department: 'governance', role: 'supervisor', countyCode: null, demo: false },
    )
    gc()
    const before = process.memoryUsage()
    const held: unknown[] = []
    for await (const batch of report.items()) held.push(...batch)
    gc()
    const after = process.memoryUsage()
    await app.close()
    const rowsMiB = results.csv!.bytes / 2 ** 20
    for (const format of ['csv', 'xlsx']) {
      const r = results[format]!
      figure(`conflicts.${format}: ${count[0]!.n} rows, time`, r.s, 's')
      figure(`conflicts.${format}: size`, r.bytes / 2 ** 20, 'MiB')
      figure(`conflicts.${format}: peak RSS growth`, r.rssMiB, 'MiB', `(the rows as CSV are ${rowsMiB.toFixed(1)} MiB)`)
      figure(`conflicts.${format}: peak JS heap growth`, r.heapMiB, 'MiB', '(garbage included)')
      figure(`conflicts.${format}: peak live JS heap growth`, r.liveMiB, 'MiB', '(after collection; needs --expose-gc)')
    }
    figure(`the ${held.length} rows held at once: JS heap`, (after.heapUsed - before.heapUsed) / 2 ** 20, 'MiB')
    figure(`the ${held.length} rows held at once: RSS`, (after.rss - before.rss) / 2 ** 20, 'MiB')
  } finally {
    await handle.close()
  }
}
