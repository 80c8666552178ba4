/**
 * GENERATED, FICTIONAL built-up areas (城区) for the demo: one irregular polygon around the city centre
 * (原州区) and one around each county seat, inside its county's outline. They make the demo schools urban
 * (城市学校) or not; they follow no map. Deterministic: the same seed gives the same file.
 *
 *   npx tsx scripts/demo/urban-areas.ts [--out data/demo/urban-areas.geojson] [--seed 640400]
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_SEED } from './options.ts'
import { metresPerDegLat, metresPerDegLon, pointInFlatRing, round7 } from './planar.ts'
import { Rng } from './random.ts'
import { loadReferenceData, type CountyRef, type ReferenceData } from './reference.ts'

/** Its own random stream, so that the other demo files do not change. */
export const STREAM_URBAN_AREAS = 7
/** Radius (m) of the built-up area of the city and of a county seat. */
export const URBAN_RADIUS_M = { city: 3200, county: 1600 } as const
const VERTICES = 28

/** The county short names the areas are named after. */
const AREA_NAMES: Readonly<Record<string, string>> = {
  '640402': '示例固原城区（演示）',
  '640422': '示例西吉县城区（演示）',
  '640423': '示例隆德县城区（演示）',
  '640424': '示例泾源县城区（演示）',
  '640425': '示例彭阳县城区（演示）',
}

export interface UrbanAreaFeature {
  type: 'Feature'
  properties: { name: string; countyCode: string; seat: [number, number]; radiusM: number; demo: true }
  geometry: { type: 'Polygon'; coordinates: number[][][] }
}

function insideCounty(county: CountyRef, lon: number, lat: number): boolean {
  // Inside an odd number of its rings (outer rings and holes alike).
  let inside = false
  for (const ring of county.rings) {
    const flat = new Float64Array(ring.flatMap((p) => [p[0]!, p[1]!]))
    if (pointInFlatRing(lon, lat, flat, 0, flat.length)) inside = !inside
  }
  return inside
}

/** One area: a star-shaped ring around the seat with a wobbly radius, shrunk until it lies inside the county. */
function areaAround(county: CountyRef, radiusM: number, rng: Rng): UrbanAreaFeature['geometry'] {
  const [lon0, lat0] = county.seat
  const wobble = Array.from({ length: VERTICES }, () => 0.8 + 0.35 * rng.next())
  for (let scale = 1; scale > 0.2; scale *= 0.85) {
    const ring: number[][] = []
    for (let k = 0; k < VERTICES; k += 1) {
      const angle = (2 * Math.PI * k) / VERTICES
      const r = radiusM * scale * wobble[k]!
      ring.push([
        round7(lon0 + (r * Math.cos(angle)) / metresPerDegLon(lat0)),
        round7(lat0 + (r * Math.sin(angle)) / metresPerDegLat(lat0)),
      ])
    }
    if (ring.every(([lon, lat]) => insideCounty(county, lon!, lat!))) return { type: 'Polygon', coordinates: [[...ring, ring[0]!]] }
  }
  throw new Error(`no built-up area fits around the seat of ${county.code}`)
}

/** The built-up areas of the city and county seats, as a FeatureCollection (counter-clockwise rings). */
export function generateUrbanAreas(ref: ReferenceData, seed = DEFAULT_SEED) {
  const features: UrbanAreaFeature[] = ref.counties.map((county) => {
    const rng = new Rng(seed, STREAM_URBAN_AREAS, Number(county.code))
    const radiusM = county.code === '640402' ? URBAN_RADIUS_M.city : URBAN_RADIUS_M.county
    return {
      type: 'Feature',
      properties: {
        name: AREA_NAMES[county.code] ?? `示例${county.name}城区（演示）`,
        countyCode: county.code,
        seat: county.seat,
        radiusM,
        demo: true,
      },
      geometry: areaAround(county, radiusM, rng),
    }
  })
  return {
    type: 'FeatureCollection' as const,
    demo: true,
    note: 'GENERATED DEMO DATA, NOT REAL: fictional built-up areas around the city centre and the county seats (scripts/demo/urban-areas.ts)',
    features,
  }
}

/** The file's text: one feature per line, like the other demo files. */
export function urbanAreasText(collection: ReturnType<typeof generateUrbanAreas>): string {
  const { features, ...head } = collection
  const header = JSON.stringify(head).slice(0, -1)
  return `${header},"features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' } } })
  const out = values.out ?? path.join(root, 'data', 'demo', 'urban-areas.geojson')
  const collection = generateUrbanAreas(loadReferenceData(path.join(root, 'data')), values.seed ? Number(values.seed) : DEFAULT_SEED)
  writeFileSync(out, urbanAreasText(collection))
  console.log(`wrote ${collection.features.length} built-up areas (generated, not real) to ${out}`)
}
