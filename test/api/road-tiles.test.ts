/**
 * The roads tile layer through HTTP: the streets over a known place by kind, names only from zoom 15, the
 * minor streets left out below zoom 14, empty tiles, ETag and 304, invalidation by a road import, the
 * attribution of the imports in the TileJSON, public access; and that the database encoder (ST_AsMVT, on a
 * server) and the Node encoder (embedded) give the same road features.
 */
import { VectorTile, type VectorTileFeature } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeTile } from '../../server/modules/tiles/encode.ts'
import { renderTileInDatabase, tileBox, tileFeatures } from '../../server/modules/tiles/repository.ts'
import { GUYUAN, offset } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { onServer } from '../helpers/database.ts'

let t: TestApp
let governance: TestAgent

/** The XYZ tile holding a position. */
function tileAt([lon, lat]: readonly number[], z: number) {
  const n = 2 ** z
  const r = (lat! * Math.PI) / 180
  return { z, x: Math.floor(((lon! + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) }
}
/** The centre of tile z/x/y as lon, lat. */
function tileCentre({ z, x, y }: { z: number; x: number; y: number }): [number, number] {
  const n = 2 ** z
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * (y + 0.5)) / n))) * 180) / Math.PI
  return [((x + 0.5) / n) * 360 - 180, lat]
}

// The streets cross in the middle of one z15 tile (about 990 m across here), so they stay inside it.
const CENTRE = tileCentre(tileAt([GUYUAN.lon, GUYUAN.lat], 15))
const HOME = tileAt(CENTRE, 15)
const url = (tile: { z: number; x: number; y: number }) => `/tiles/roads/${tile.z}/${tile.x}/${tile.y}.mvt`

const decode = (body: Buffer) => new VectorTile(new PbfReader(body))
const roadsOf = (body: Buffer): VectorTileFeature[] => {
  const layer = decode(body).layers.roads
  return layer ? Array.from({ length: layer.length }, (_, i) => layer.feature(i)) : []
}

function getTile(agent: TestAgent, path: string) {
  return agent
    .get(path)
    .buffer(true)
    .parse((response, done) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => done(null, Buffer.concat(chunks)))
    })
}

const line = (properties: Record<string, unknown>, coordinates: number[][]) => ({
  type: 'Feature',
  properties,
  geometry: { type: 'LineString', coordinates },
})
const importRoads = (source: string, attribution: string, features: unknown[]) =>
  governance
    .post(`/api/import/roads?source=${source}&licence=ODbL-1.0&attribution=${encodeURIComponent(attribution)}`)
    .send({ type: 'FeatureCollection', features })
    .expect(201)

beforeAll(async () => {
  t = await startTestApp()
  governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  await importRoads('streets', '© OpenStreetMap contributors', [
    line({ highway: 'primary', name: '文化路' }, [offset(CENTRE, -300, 0), offset(CENTRE, 0, 0), offset(CENTRE, 300, 0)]),
    line({ highway: 'residential', name: '小巷' }, [offset(CENTRE, 0, 0), offset(CENTRE, 0, 250)]),
    line({ highway: 'footway' }, [offset(CENTRE, 0, 0), offset(CENTRE, 0, -200)]),
  ])
})
afterAll(async () => {
  await t?.close()
})

describe('a road tile', () => {
  it('holds the streets by kind and walkability, with their names at zoom 15, without a session', async () => {
    const response = await getTile(t.request(), url(HOME)).expect(200)
    expect(response.headers['content-type']).toBe('application/vnd.mapbox-vector-tile')
    expect(response.headers['cache-control']).toBe('public, no-cache')
    const roads = roadsOf(response.body as Buffer)
    expect(roads.map((f) => f.properties).sort((a, b) => String(a.kind).localeCompare(String(b.kind)))).toEqual([
      { kind: 'footway', walkable: true },
      { kind: 'primary', walkable: true, name: '文化路' },
      { kind: 'residential', walkable: true, name: '小巷' },
    ])
    expect(roads.every((f) => f.type === 2)).toBe(true)
    // The primary road runs 600 m east–west through the centre: its drawn ends lie within a metre of the imported ones.
    const primary = roads.find((f) => f.properties.kind === 'primary')!
    const coordinates = (primary.toGeoJSON(HOME.x, HOME.y, HOME.z).geometry as GeoJSON.LineString).coordinates
    const [west, east] = [offset(CENTRE, -300, 0), offset(CENTRE, 300, 0)]
    const ends = [coordinates[0]!, coordinates[coordinates.length - 1]!].sort((a, b) => a[0]! - b[0]!)
    expect(Math.abs(ends[0]![0]! - west[0]) * 90_000).toBeLessThan(1)
    expect(Math.abs(ends[1]![0]! - east[0]) * 90_000).toBeLessThan(1)
    expect(Math.abs(ends[0]![1]! - CENTRE[1]) * 111_000).toBeLessThan(1)
  })

  it('leaves the names out below zoom 15 and the minor streets below zoom 14, and has nothing below zoom 11', async () => {
    const z14 = roadsOf((await getTile(t.request(), url(tileAt(CENTRE, 14))).expect(200)).body as Buffer)
    expect(z14.map((f) => f.properties.kind).sort()).toEqual(['footway', 'primary', 'residential'])
    expect(z14.every((f) => !('name' in f.properties))).toBe(true)
    const z13 = roadsOf((await getTile(t.request(), url(tileAt(CENTRE, 13))).expect(200)).body as Buffer)
    expect(z13.map((f) => f.properties)).toEqual([{ kind: 'primary', walkable: true }])
    const z16 = roadsOf((await getTile(t.request(), url(tileAt(CENTRE, 16))).expect(200)).body as Buffer)
    expect(z16.find((f) => f.properties.kind === 'primary')?.properties.name).toBe('文化路')
    expect((await getTile(t.request(), url(tileAt(CENTRE, 10)))).status).toBe(204)
  })

  it('answers 204 with no body where there is no road', async () => {
    const response = await getTile(t.request(), url({ z: 15, x: HOME.x + 5, y: HOME.y }))
    expect(response.status).toBe(204)
    expect((response.body as Buffer).length).toBe(0)
    expect(response.headers.etag).toMatch(new RegExp(`^"roads-15-${HOME.x + 5}-${HOME.y}-`))
  })
})

describe('TileJSON, caching and invalidation', () => {
  it('describes the layer publicly, with the attribution of the road imports', async () => {
    const response = await t.request().get('/tiles/roads.json').expect(200)
    expect(response.headers['cache-control']).toBe('public, no-cache')
    expect(response.body).toMatchObject({
      tilejson: '3.0.0',
      attribution: '© OpenStreetMap contributors',
      minzoom: 11,
      maxzoom: 16,
      vector_layers: [{ id: 'roads', fields: { kind: 'String', walkable: 'Boolean', name: 'String' } }],
    })
    expect(response.body.tiles[0]).toMatch(new RegExp(`^${t.url}/tiles/roads/\\{z\\}/\\{x\\}/\\{y\\}\\.mvt\\?v=[A-Za-z0-9._-]+$`))
    const [west, south, east, north] = response.body.bounds as number[]
    expect(CENTRE[0]).toBeGreaterThan(west!)
    expect(CENTRE[0]).toBeLessThan(east!)
    expect(CENTRE[1]).toBeGreaterThan(south!)
    expect(CENTRE[1]).toBeLessThan(north!)
  })

  it('answers 304 to If-None-Match with the current ETag, and a year of caching for the current version', async () => {
    const first = await getTile(t.request(), url(HOME)).expect(200)
    const etag = first.headers.etag!
    expect(etag).toMatch(/^"roads-15-\d+-\d+-[A-Za-z0-9]+-\d+"$/)
    const again = await getTile(t.request(), url(HOME)).set('If-None-Match', etag)
    expect(again.status).toBe(304)
    expect(again.headers.etag).toBe(etag)
    const version = new URL((await t.request().get('/tiles/roads.json').expect(200)).body.tiles[0].replace(/[{}]/g, '')).searchParams.get(
      'v',
    )!
    const pinned = await getTile(t.request(), `${url(HOME)}?v=${version}`).expect(200)
    expect(pinned.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it('gives a new ETag, the new street and the new attribution after a road import', async () => {
    const before = (await getTile(t.request(), url(HOME)).expect(200)).headers.etag!
    const versionBefore = (await t.request().get('/tiles/roads.json').expect(200)).body.tiles[0]
    await importRoads('survey', '固原市测绘院 survey', [
      line({ highway: 'tertiary', name: '新修路' }, [offset(CENTRE, -100, 150), offset(CENTRE, 100, 150)]),
    ])
    const revalidated = await getTile(t.request(), url(HOME)).set('If-None-Match', before)
    expect(revalidated.status).toBe(200)
    expect(revalidated.headers.etag).not.toBe(before)
    expect(roadsOf(revalidated.body as Buffer).find((f) => f.properties.name === '新修路')?.properties).toEqual({
      kind: 'tertiary',
      walkable: true,
      name: '新修路',
    })
    const tileJson = (await t.request().get('/tiles/roads.json').expect(200)).body
    expect(tileJson.tiles[0]).not.toBe(versionBefore)
    expect(tileJson.attribution).toBe('© OpenStreetMap contributors · 固原市测绘院 survey')
  })
})

// On a server the database's own encoder (ST_AsMVT) is the reference; embedded, where it does not exist, the
// reference is the feature rows the Node encoder was given.
describe(onServer() ? 'the two encoders' : 'the Node encoder against its input rows', () => {
  it('agree on the road features from zoom 11 to 16', async () => {
    let compared = 0
    for (const z of [11, 12, 13, 14, 15, 16]) {
      const box = (() => {
        const tile = tileAt(offset(CENTRE, 1, 1), z)
        return tileBox(tile.z, tile.x, tile.y)
      })()
      const rows = (await tileFeatures(t.app.db, box, ['roads'])).layers.roads ?? []
      const node = roadsOf(encodeTile({ roads: rows }))
      type Summary = { properties: Record<string, unknown>; type: number; bbox: number[] }
      const order = (list: Summary[]) =>
        list.sort((a, b) => JSON.stringify(a.properties).localeCompare(JSON.stringify(b.properties)) || a.bbox[0]! - b.bbox[0]!)
      const decoded = (features: VectorTileFeature[]) =>
        order(features.map((f) => ({ properties: f.properties, type: f.type, bbox: f.bbox() })))
      const reference = onServer()
        ? decoded(roadsOf((await renderTileInDatabase(t.app.db, box, ['roads'])).tile))
        : order(
            rows.map((row) => {
              const points = (row.geometry.type === 'LineString' ? [row.geometry.coordinates] : row.geometry.coordinates) as number[][][]
              const xs = points.flat().map((p) => p[0]!)
              const ys = points.flat().map((p) => p[1]!)
              return {
                properties: Object.fromEntries(Object.entries(row.properties).filter(([, v]) => v !== null)),
                type: 2,
                bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
              }
            }),
          )
      const actual = decoded(node)
      expect(actual.length, `zoom ${z} feature count`).toBe(reference.length)
      for (const [i, expected] of reference.entries()) {
        expect(actual[i]!.properties, `zoom ${z} #${i}`).toEqual(expected.properties)
        expect(actual[i]!.type).toBe(2)
        for (const k of [0, 1, 2, 3])
          expect(Math.abs(actual[i]!.bbox[k]! - expected.bbox[k]!), `zoom ${z} #${i} bbox[${k}]`).toBeLessThanOrEqual(1)
      }
      compared += reference.length
    }
    expect(compared).toBeGreaterThanOrEqual(12)
  })
})
