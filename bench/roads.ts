import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { figure, numberArgs, openBenchDatabase, seconds, startBenchService } from './support.ts'

/** Guyuan's city centre; the grid is laid around it, inside 原州区. */
const CENTRE = [106.2426, 36.0159] as const
const M_PER_DEG_LAT = 110_950

/**
 * An OpenStreetMap XML street grid of about `ways` ways: `size` × `size` intersections `spacingM` apart, each
 * street split at every intersection (ways share their end nodes, as in OSM) with `inner` shape nodes between,
 * and an address node every tenth block — the shape of a city extract.
 */
function gridExtract(ways: number, spacingM: number, inner: number): { xml: string; nodes: number; ways: number } {
  const size = Math.ceil((1 + Math.sqrt(1 + 2 * ways)) / 2)
  const mPerDegLon = M_PER_DEG_LAT * Math.cos((CENTRE[1] * Math.PI) / 180)
  const half = ((size - 1) * spacingM) / 2
  const pos = (east: number, north: number) =>
    `lat="${(CENTRE[1] + north / M_PER_DEG_LAT).toFixed(7)}" lon="${(CENTRE[0] + east / mPerDegLon).toFixed(7)}"`
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bench">\n']
  const wayParts: string[] = []
  const junction = (i: number, j: number) => 1 + i * size + j
  let nextNode = size * size + 1
  for (let i = 0; i < size; i += 1)
    for (let j = 0; j < size; j += 1) parts.push(`<node id="${junction(i, j)}" ${pos(j * spacingM - half, i * spacingM - half)}/>\n`)
  let wayId = 1
  const street = (from: number, to: number, e0: number, n0: number, de: number, dn: number, tags: string) => {
    const refs = [from]
    for (let k = 1; k <= inner; k += 1) {
      const t = k / (inner + 1)
      parts.push(`<node id="${nextNode}" ${pos(e0 + de * t, n0 + dn * t)}/>\n`)
      refs.push(nextNode++)
    }
    refs.push(to)
    wayParts.push(`<way id="${wayId++}">${refs.map((r) => `<nd ref="${r}"/>`).join('')}${tags}</way>\n`)
  }
  for (let i = 0; i < size && wayId <= ways; i += 1) {
    for (let j = 0; j + 1 < size && wayId <= ways; j += 1) {
      const [e, n] = [j * spacingM - half, i * spacingM - half]
      const kind = i % 8 === 0 ? 'secondary' : 'residential'
      street(junction(i, j), junction(i, j + 1), e, n, spacingM, 0, `<tag k="highway" v="${kind}"/><tag k="name" v="东西${i}街"/>`)
      if (wayId <= ways)
        street(
          junction(j, i),
          junction(j + 1, i),
          n,
          e,
          0,
          spacingM,
          `<tag k="highway" v="${j % 8 === 0 ? 'tertiary' : 'footway'}"/><tag k="name" v="南北${i}路"/>`,
        )
      if ((i * size + j) % 10 === 0) {
        parts.push(
          `<node id="${nextNode++}" ${pos(e + spacingM / 2, n + 5)}><tag k="addr:street" v="东西${i}街"/><tag k="addr:housenumber" v="${j + 1}"/></node>\n`,
        )
      }
    }
  }
  parts.push(...wayParts, '</osm>\n')
  return { xml: parts.join(''), nodes: nextNode - 1, ways: wayId - 1 }
}

/**
 * Road import through HTTP, all or nothing: an OpenStreetMap XML extract the size of 原州区's (about 10^5 ways)
 * and the same extract as PBF (written by osmium when it is installed), replacing the first. Goal: under a minute.
 */
export async function benchRoads(args: Record<string, string>) {
  const { ways } = numberArgs(args, { ways: 100_000 })
  const extract = gridExtract(ways, 60, 3)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-bench-roads-'))
  const xmlFile = path.join(dir, 'extract.osm')
  fs.writeFileSync(xmlFile, extract.xml)
  console.log(
    `extract: ${extract.ways.toLocaleString('en')} ways, ${extract.nodes.toLocaleString('en')} nodes, ${(extract.xml.length / 1e6).toFixed(1)} MB of XML`,
  )
  const handle = await openBenchDatabase('roads')
  const { app, url, cookie } = await startBenchService(handle, { department: 'governance', role: 'clerk' })
  const post = async (type: string, body: Buffer, query: string) => {
    const started = performance.now()
    const response = await fetch(`${url}/api/import/roads?${query}`, {
      method: 'POST',
      headers: { cookie, origin: url, 'content-type': type },
      body: new Uint8Array(body),
    })
    const took = seconds(started)
    if (response.status !== 201) throw new Error(`import answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
    return { took, result: (await response.json()) as { imported: number; addressPoints: number } }
  }
  try {
    console.log(`database: ${handle.where}`)
    const xml = await post('application/osm+xml', fs.readFileSync(xmlFile), 'source=bench')
    figure(
      `OSM XML import, ${xml.result.imported.toLocaleString('en')} roads, ${xml.result.addressPoints} address points`,
      xml.took,
      's',
      'goal < 60 s',
    )
    let pbf: Buffer | undefined
    try {
      execFileSync('osmium', ['cat', xmlFile, '-o', path.join(dir, 'extract.osm.pbf'), '--overwrite'])
      pbf = fs.readFileSync(path.join(dir, 'extract.osm.pbf'))
    } catch {
      console.log('osmium is not installed (apt-get install osmium-tool): PBF not measured')
    }
    if (pbf) {
      const replaced = await post('application/vnd.openstreetmap.data+pbf', pbf, 'source=bench&replace=true')
      figure(`PBF import replacing it (${(pbf.length / 1e6).toFixed(1)} MB)`, replaced.took, 's', 'goal < 60 s')
    }
  } finally {
    await app.close()
    await handle.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
