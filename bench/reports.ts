import { sql } from 'kysely'
import { bulkLoad, figure, numberArgs, openBenchDatabase, seconds, startBenchService } from './support.ts'

const GUYUAN: [number, number, number, number] = [105.32, 35.24, 106.95, 36.52]

/**
 * The conflicts report exported through HTTP as XLSX and as CSV with `--rows` conflicts (default 100,000): time,
 * bytes, and the peak growth of the process's resident memory (server and client share it; the client drops
 * each chunk) against the size of the rows themselves (the CSV's bytes).
 *   npm run bench -- reports [--rows 100000] [--schools 2000]
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

    const results: Record<string, { s: number; bytes: number; peakMiB: number }> = {}
    for (const format of ['csv', 'xlsx', 'csv', 'xlsx']) {
      global.gc?.()
      const baseline = process.memoryUsage().rss
      let peak = baseline
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
      const t = performance.now()
      const response = await fetch(`${url}/api/reports/conflicts.${format}`, { headers: { cookie } })
      if (response.status !== 200) throw new Error(`${format}: ${response.status} ${await response.text()}`)
      let bytes = 0
      const reader = response.body!.getReader()
      for (let part = await reader.read(); !part.done; part = await reader.read()) bytes += part.value.length
      const took = seconds(t)
      clearInterval(sampler)
      peak = Math.max(peak, process.memoryUsage().rss)
      // The first run of each format warms up (query plans, the exceljs and zip code); the second is reported.
      results[format] = { s: took, bytes, peakMiB: (peak - baseline) / 2 ** 20 }
    }
    await app.close()
    const rowsMiB = results.csv!.bytes / 2 ** 20
    for (const format of ['csv', 'xlsx']) {
      const r = results[format]!
      figure(`conflicts.${format}: ${count[0]!.n} rows, time`, r.s, 's')
      figure(`conflicts.${format}: size`, r.bytes / 2 ** 20, 'MiB')
      figure(`conflicts.${format}: peak RSS growth`, r.peakMiB, 'MiB', `(the rows as CSV are ${rowsMiB.toFixed(1)} MiB)`)
    }
  } finally {
    await handle.close()
  }
}
