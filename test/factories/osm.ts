/** OpenStreetMap XML builders for road-import tests and benchmarks. */
import { offset } from './registry.ts'

export interface OsmNode {
  id: number
  lon: number | string
  lat: number | string
  tags?: Record<string, string>
}
export interface OsmWay {
  id: number
  refs: number[]
  tags: Record<string, string>
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
const tagsXml = (tags: Record<string, string> | undefined) =>
  Object.entries(tags ?? {})
    .map(([k, v]) => `<tag k="${escape(k)}" v="${escape(v)}"/>`)
    .join('')

/** An .osm document (API 0.6) holding the nodes, then the ways, as OSM's own tools write them. */
export function osmXml({ nodes, ways }: { nodes: readonly OsmNode[]; ways: readonly OsmWay[] }): string {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n']
  for (const n of nodes)
    parts.push(
      n.tags
        ? `<node id="${n.id}" version="1" lat="${n.lat}" lon="${n.lon}">${tagsXml(n.tags)}</node>\n`
        : `<node id="${n.id}" version="1" lat="${n.lat}" lon="${n.lon}"/>\n`,
    )
  for (const w of ways)
    parts.push(`<way id="${w.id}" version="1">${w.refs.map((r) => `<nd ref="${r}"/>`).join('')}${tagsXml(w.tags)}</way>\n`)
  parts.push('</osm>\n')
  return parts.join('')
}

/**
 * A street grid of `size` × `size` intersections `spacingM` apart around a point: east–west streets named
 * 东西街N, north–south 南北路N, each street one way split at every intersection (ways share their end nodes).
 */
export function gridNetwork(center: readonly number[], size: number, spacingM: number, firstId = 1): { nodes: OsmNode[]; ways: OsmWay[] } {
  const nodes: OsmNode[] = []
  const ways: OsmWay[] = []
  const id = (i: number, j: number) => firstId + i * size + j
  const half = ((size - 1) * spacingM) / 2
  for (let i = 0; i < size; i += 1) {
    for (let j = 0; j < size; j += 1) {
      const [lon, lat] = offset(center, j * spacingM - half, i * spacingM - half)
      nodes.push({ id: id(i, j), lon: lon.toFixed(7), lat: lat.toFixed(7) })
    }
  }
  let wayId = firstId
  for (let i = 0; i < size; i += 1) {
    for (let j = 0; j + 1 < size; j += 1) {
      ways.push({
        id: wayId++,
        refs: [id(i, j), id(i, j + 1)],
        tags: { highway: i % 5 === 0 ? 'secondary' : 'residential', name: `东西街${i}` },
      })
      ways.push({
        id: wayId++,
        refs: [id(j, i), id(j + 1, i)],
        tags: { highway: i % 5 === 0 ? 'tertiary' : 'residential', name: `南北路${i}` },
      })
    }
  }
  return { nodes, ways }
}
