import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, premisesPoints, startBenchService } from './support.ts'

const GUYUAN: [number, number, number, number] = [105.32, 35.24, 106.95, 36.52]

/**
 * Point certificates (GET /api/check/certificate.pdf) one at a time through HTTP at premises points of
 * a generated registry over Guyuan: p50/p99 and the PDF size. Rendering embeds a subset of the CJK font.
 *   npm run bench -- certificate [--schools 2000] [--premises 20000] [--requests 100]
 */
export async function benchCertificate(args: Record<string, string>) {
  const { schools, premises, requests } = numberArgs(args, { schools: 2000, premises: 20_000, requests: 100 })
  const handle = await openBenchDatabase('certificate')
  console.log(`certificate benchmark on ${handle.where}: ${schools} schools, ${premises} premises over Guyuan; ${requests} certificates`)
  try {
    const gen = await bulkLoad(handle, { schools, premises, bbox: GUYUAN })
    const points = premisesPoints(gen, requests)
    const { app, url, cookie } = await startBenchService(handle, { department: 'tobacco', role: 'clerk' })

    const took: number[] = []
    const sizes: number[] = []
    let refused = 0
    // The first 10 warm up (font parsing, query plans) and are not counted.
    for (let i = 0; i < points.length + 10; i += 1) {
      const [lon, lat] = points[i % points.length]!
      const t = performance.now()
      const response = await fetch(`${url}/api/check/certificate.pdf?lon=${lon}&lat=${lat}&category=tobacco_retail`, {
        headers: { cookie },
      })
      const body = Buffer.from(await response.arrayBuffer())
      if (i < 10) continue
      if (response.status !== 200) {
        refused += 1 // generated points can fall just outside the county outlines
        continue
      }
      took.push(performance.now() - t)
      sizes.push(body.length)
    }
    await app.close()
    took.sort((a, b) => a - b)
    sizes.sort((a, b) => a - b)
    figure('point certificate through HTTP p50', percentile(took, 50), 'ms')
    figure('point certificate through HTTP p99', percentile(took, 99), 'ms')
    figure('certificate size p50', percentile(sizes, 50) / 1024, 'KiB')
    console.log(`${took.length} certificates measured, ${refused} points refused (outside the counties)`)
  } finally {
    await handle.close()
  }
}
