/**
 * Vector tiles and TileJSON through HTTP: content over a known school (campus, gates, zone bands, a
 * conflicting premises), empty tiles, ETag and 304, invalidation by a write, who may read which layer,
 * refused input; on a PostGIS server also that the database encoder (ST_AsMVT) and the encoder used
 * with the embedded database give the same features.
 */
import { VectorTile, type VectorTileFeature } from '@mapbox/vector-tile'
import { sql } from 'kysely'
import { PbfReader } from 'pbf'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeTile } from '../../server/modules/tiles/encode.ts'
import { tile } from '../../server/modules/tiles/service.ts'
import { TileCache } from '../../server/modules/tiles/tile-cache.ts'
import { renderTileInDatabase, tileBox, tileFeatures } from '../../server/modules/tiles/repository.ts'
import { LAYERS, type SourceLayerId } from '../../server/modules/tiles/layers.ts'
import { distanceToCampus, type Campus } from '../factories/geodesic.ts'
import { GUYUAN, offset, premisesFeature, rectangle, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { onServer } from '../helpers/database.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let admin: TestAgent
let viewer: TestAgent
let schoolId: number
let conflictingId: number
let farId: number

const Z = 15

/** The XYZ tile holding a position. */
function tileAt(lon: number, lat: number, z: number) {
  const n = 2 ** z
  const r = (lat * Math.PI) / 180
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) }
}
/** The centre of tile z/x/y as lon, lat. */
function tileCentre(z: number, x: number, y: number): [number, number] {
  const n = 2 ** z
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * (y + 0.5)) / n))) * 180) / Math.PI
  return [((x + 0.5) / n) * 360 - 180, lat]
}

// The school sits in the middle of one z15 tile (about 990 m across here), so its zone stays inside it.
const HOME = tileAt(GUYUAN.lon, GUYUAN.lat, Z)
const CENTRE = tileCentre(HOME.z, HOME.x, HOME.y)
const path = (layer: string, tile: { z: number; x: number; y: number }) => `/tiles/${layer}/${tile.z}/${tile.x}/${tile.y}.mvt`

const decode = (body: Buffer) => new VectorTile(new PbfReader(body))
const featuresOf = (tile: VectorTile, layer: string): VectorTileFeature[] => {
  const found = tile.layers[layer]
  return found ? Array.from({ length: found.length }, (_, i) => found.feature(i)) : []
}
/** Shoelace area of a ring in tile units: the specification wants exterior rings positive (clockwise on screen, y down). */
const signedArea = (ring: { x: number; y: number }[]) =>
  ring.reduce((sum, p, i) => {
    const q = ring[(i + 1) % ring.length]!
    return sum + p.x * q.y - q.x * p.y
  }, 0) / 2

/** Lon/lat bounds of a decoded feature. */
function lonLatBounds(feature: VectorTileFeature, tile: { z: number; x: number; y: number }) {
  const coordinates = JSON.stringify(feature.toGeoJSON(tile.x, tile.y, tile.z).geometry)
  const numbers = [...coordinates.matchAll(/\[(-?[0-9.e-]+),(-?[0-9.e-]+)\]/g)].map((m) => [Number(m[1]), Number(m[2])] as const)
  return {
    west: Math.min(...numbers.map((p) => p[0])),
    east: Math.max(...numbers.map((p) => p[0])),
    south: Math.min(...numbers.map((p) => p[1])),
    north: Math.max(...numbers.map((p) => p[1])),
  }
}
// Metres per degree on the WGS84 ellipsoid at the school's latitude (the factories' flat 110,950 m is
// 0.5 % off east–west here: fine for placing fixtures, not for checking drawn distances).
const A = 6378137
const E2 = 0.00669437999014
const PHI = (CENTRE[1] * Math.PI) / 180
const W = Math.sqrt(1 - E2 * Math.sin(PHI) ** 2)
const eastWestMetres = (degrees: number) => ((degrees * Math.PI) / 180) * (A / W) * Math.cos(PHI)
const northSouthMetres = (degrees: number) => ((degrees * Math.PI) / 180) * ((A * (1 - E2)) / W ** 3)

function getTile(agent: TestAgent, url: string) {
  return agent
    .get(url)
    .buffer(true)
    .parse((response, done) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => done(null, Buffer.concat(chunks)))
    })
}

beforeAll(async () => {
  t = await startTestApp()
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  viewer = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
  schoolId = (
    await admin
      .post('/api/schools')
      .send(schoolFeature({ center: CENTRE, name: '瓦片测试小学' }))
      .expect(201)
  ).body.id
  // 100 m east of the centre of a 120 m wide campus: 40 m from its edge, in the core band.
  conflictingId = (
    await admin
      .post('/api/premises')
      .send(premisesFeature({ at: offset(CENTRE, 100, 0), name: '核心区烟酒店', licenceNo: 'TILE-1' }))
      .expect(201)
  ).body.id
  farId = (
    await admin
      .post('/api/premises')
      .send(premisesFeature({ at: offset(CENTRE, 380, 300), name: '远处烟酒店', licenceNo: 'TILE-2' }))
      .expect(201)
  ).body.id
})
afterAll(async () => {
  await t?.close()
})

describe('TileJSON', () => {
  it('describes each layer as TileJSON 3.0.0 with absolute tile URLs carrying the data version', async () => {
    for (const layer of Object.keys(LAYERS)) {
      const response = await viewer.get(`/tiles/${layer}.json`).expect(200)
      const body = response.body as Record<string, any>
      expect(body).toMatchObject({
        tilejson: '3.0.0',
        scheme: 'xyz',
        name: expect.any(String),
        description: expect.any(String),
        attribution: expect.any(String),
      })
      expect(body.tiles).toHaveLength(1)
      expect(body.tiles[0]).toMatch(new RegExp(`^${t.url}/tiles/${layer}/\\{z\\}/\\{x\\}/\\{y\\}\\.mvt\\?v=[A-Za-z0-9._-]+$`))
      expect(body.minzoom).toBeLessThanOrEqual(body.maxzoom)
      expect(body.bounds).toHaveLength(4)
      expect(body.center).toHaveLength(3)
      expect(response.headers['cache-control']).toMatch(/no-cache/)
      const ids = (body.vector_layers as { id: string; fields: Record<string, string> }[]).map((v) => v.id)
      expect(ids).toEqual(LAYERS[layer as keyof typeof LAYERS].sourceLayers.map((s) => s.id))
    }
    const schools = (await viewer.get('/tiles/schools.json').expect(200)).body
    expect(schools.vector_layers.map((v: { id: string }) => v.id)).toEqual(['campuses', 'gates', 'school_labels'])
    expect(schools.vector_layers[0].fields).toEqual({
      id: 'Number',
      name: 'String',
      schoolType: 'String',
      countyCode: 'String',
      gateCount: 'Number',
    })
    const [west, south, east, north] = schools.bounds
    expect(CENTRE[0]).toBeGreaterThan(west)
    expect(CENTRE[0]).toBeLessThan(east)
    expect(CENTRE[1]).toBeGreaterThan(south)
    expect(CENTRE[1]).toBeLessThan(north)
    const premises = (await viewer.get('/tiles/premises.json').expect(200)).body
    expect(premises.minzoom).toBe(12)
    expect(premises.vector_layers[0].fields).toMatchObject({ conflict: 'Boolean', band: 'String', nearestSchoolId: 'Number' })
    const townships = (await t.request().get('/tiles/townships.json').expect(200)).body
    expect(townships.description).toMatch(/no township boundaries/i)
  })
})

describe('OpenAPI', () => {
  it('documents the tile routes of every layer with their parameters', async () => {
    const paths = (await t.request().get('/docs/json').expect(200)).body.paths as Record<
      string,
      Record<string, { parameters?: { name: string; in: string }[]; tags?: string[] }>
    >
    for (const layer of Object.keys(LAYERS)) {
      expect(paths[`/tiles/${layer}.json`]?.get?.tags).toEqual(['tiles'])
      const tile = paths[`/tiles/${layer}/{z}/{x}/{y}.mvt`]?.get
      expect(
        tile?.parameters
          ?.filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort(),
      ).toEqual(['x', 'y', 'z'])
      expect(tile?.parameters?.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['v'])
    }
    expect(Object.keys(paths).filter((p) => p.includes('{layer}'))).toEqual([])
  })
})

describe('a tile over a known school', () => {
  it('holds its campus, its gate and its label in the schools layer', async () => {
    const response = await getTile(viewer, path('schools', HOME)).expect(200)
    expect(response.headers['content-type']).toBe('application/vnd.mapbox-vector-tile')
    const tile = decode(response.body as Buffer)
    const campus = featuresOf(tile, 'campuses').find((f) => f.properties.id === schoolId)!
    expect(campus.properties).toEqual({ id: schoolId, name: '瓦片测试小学', schoolType: 'primary', countyCode: '640402', gateCount: 1 })
    expect(campus.type).toBe(3)
    expect(signedArea(campus.loadGeometry()[0]!)).toBeGreaterThan(0)
    const bounds = lonLatBounds(campus, HOME)
    const ring = rectangle(CENTRE)
    // A tile unit is about 0.2 m here.
    expect(Math.abs(eastWestMetres(bounds.west - Math.min(...ring.map((p) => p[0]!))))).toBeLessThan(0.5)
    expect(Math.abs(eastWestMetres(bounds.east - Math.max(...ring.map((p) => p[0]!))))).toBeLessThan(0.5)
    expect(Math.abs(northSouthMetres(bounds.north - Math.max(...ring.map((p) => p[1]!))))).toBeLessThan(0.5)
    expect(featuresOf(tile, 'gates').filter((f) => f.properties.schoolId === schoolId)).toHaveLength(1)
    expect(featuresOf(tile, 'school_labels').find((f) => f.properties.id === schoolId)?.properties).toEqual({
      id: schoolId,
      name: '瓦片测试小学',
      schoolType: 'primary',
    })
  })

  it('holds its zone bands, core 0–50 m and control 50–200 m, drawn at their distances', async () => {
    const tile = decode((await getTile(viewer, path('zones', HOME)).expect(200)).body as Buffer)
    const bands = featuresOf(tile, 'zones').filter((f) => f.properties.schoolId === schoolId)
    expect(bands.map((b) => b.properties).sort((a, b) => Number(a.innerM) - Number(b.innerM))).toEqual([
      { schoolId, schoolName: '瓦片测试小学', band: 'core', innerM: 0, outerM: 50, limitM: 200 },
      { schoolId, schoolName: '瓦片测试小学', band: 'control', innerM: 50, outerM: 200, limitM: 200 },
    ])
    const control = bands.find((b) => b.properties.band === 'control')!
    const rings = control.loadGeometry()
    expect(rings).toHaveLength(2)
    expect(signedArea(rings[0]!)).toBeGreaterThan(0)
    expect(signedArea(rings[1]!)).toBeLessThan(0)
    const bounds = lonLatBounds(control, HOME)
    const ring = rectangle(CENTRE)
    const campus = {
      west: Math.min(...ring.map((p) => p[0]!)),
      east: Math.max(...ring.map((p) => p[0]!)),
      south: Math.min(...ring.map((p) => p[1]!)),
      north: Math.max(...ring.map((p) => p[1]!)),
    }
    expect(Math.abs(eastWestMetres(campus.west - bounds.west) - 200)).toBeLessThan(0.5)
    expect(Math.abs(eastWestMetres(bounds.east - campus.east) - 200)).toBeLessThan(0.5)
    expect(Math.abs(northSouthMetres(bounds.north - campus.north) - 200)).toBeLessThan(0.5)
    expect(Math.abs(northSouthMetres(campus.south - bounds.south) - 200)).toBeLessThan(0.5)
  })

  it('stores the zone rings at their distances from the campus, by the GeographicLib oracle', async () => {
    const { rows } = await sql<{ band: string; geometry: { coordinates: number[][][][] } }>`
      select band, ST_AsGeoJSON(geom, 9)::json as geometry from school_zones where school_id = ${schoolId} order by band_index`.execute(
      t.app.db,
    )
    expect(rows.map((r) => r.band)).toEqual(['core', 'control'])
    const campus: Campus = { type: 'Polygon', coordinates: [rectangle(CENTRE)] }
    const worst = (ring: number[][], radius: number) =>
      Math.max(...ring.map((p) => Math.abs(distanceToCampus(p, campus).distance - radius)))
    const [core, control] = [rows[0]!.geometry.coordinates[0]!, rows[1]!.geometry.coordinates[0]!]
    expect(core).toHaveLength(1)
    expect(worst(core[0]!, 50)).toBeLessThan(0.03)
    expect(control).toHaveLength(2)
    expect(worst(control[0]!, 200)).toBeLessThan(0.03)
    expect(worst(control[1]!, 50)).toBeLessThan(0.03)
  })

  it('marks the conflicting premises with its band and school, and the far one as clear', async () => {
    const tile = decode((await getTile(viewer, path('premises', HOME)).expect(200)).body as Buffer)
    const found = featuresOf(tile, 'premises')
    expect(found.find((f) => f.properties.id === conflictingId)?.properties).toEqual({
      id: conflictingId,
      name: '核心区烟酒店',
      category: 'tobacco_retail',
      licenceStatus: 'active',
      conflict: true,
      band: 'core',
      nearestSchoolId: schoolId,
    })
    expect(found.find((f) => f.properties.id === farId)?.properties).toEqual({
      id: farId,
      name: '远处烟酒店',
      category: 'tobacco_retail',
      licenceStatus: 'active',
      conflict: false,
    })
  })

  it('leaves premises out below zoom 12 and gates below zoom 14', async () => {
    const z11 = tileAt(CENTRE[0], CENTRE[1], 11)
    const premises = await getTile(viewer, path('premises', z11))
    expect(premises.status).toBe(204)
    const z12 = tileAt(CENTRE[0], CENTRE[1], 12)
    const schools = decode((await getTile(viewer, path('schools', z12)).expect(200)).body as Buffer)
    expect(featuresOf(schools, 'campuses').length).toBeGreaterThan(0)
    expect(schools.layers.gates).toBeUndefined()
  })
})

describe('empty tiles and caching', () => {
  it('answers 204 with no body for a tile with nothing in it', async () => {
    const response = await getTile(viewer, path('schools', { z: 15, x: 0, y: 0 }))
    expect(response.status).toBe(204)
    expect((response.body as Buffer).length).toBe(0)
    expect(response.headers.etag).toMatch(/^"schools-15-0-0-/)
  })

  it('answers 304 to If-None-Match with the current ETag, and revalidates unless the URL has the current version', async () => {
    const first = await getTile(viewer, path('premises', HOME)).expect(200)
    const etag = first.headers.etag!
    expect(etag).toMatch(/^"premises-15-\d+-\d+-[A-Za-z0-9]+-\d+"$/)
    expect(first.headers['cache-control']).toBe('private, no-cache')
    const again = await getTile(viewer, path('premises', HOME)).set('If-None-Match', etag)
    expect(again.status).toBe(304)
    expect((again.body as Buffer).length).toBe(0)
    expect(again.headers.etag).toBe(etag)
    expect((await getTile(viewer, path('premises', HOME)).set('If-None-Match', `W/${etag}, "other"`)).status).toBe(304)
    expect((await getTile(viewer, path('premises', HOME)).set('If-None-Match', '"other"')).status).toBe(200)

    const version = new URL((await viewer.get('/tiles/premises.json').expect(200)).body.tiles[0].replace(/[{}]/g, '')).searchParams.get(
      'v',
    )!
    const pinned = await getTile(viewer, `${path('premises', HOME)}?v=${version}`).expect(200)
    expect(pinned.headers['cache-control']).toBe('private, max-age=31536000, immutable')
    const stale = await getTile(viewer, `${path('premises', HOME)}?v=old-1`).expect(200)
    expect(stale.headers['cache-control']).toBe('private, no-cache')
    const counties = await getTile(t.request(), path('counties', tileAt(GUYUAN.lon, GUYUAN.lat, 8))).expect(200)
    expect(counties.headers['cache-control']).toBe('public, no-cache')
  })

  it('gives a new ETag and the new feature after premises are registered, and leaves other layers alone', async () => {
    const before = (await getTile(viewer, path('premises', HOME)).expect(200)).headers.etag!
    const countiesBefore = (await getTile(t.request(), path('counties', tileAt(GUYUAN.lon, GUYUAN.lat, 8))).expect(200)).headers.etag
    const created = (
      await admin
        .post('/api/premises')
        .send(premisesFeature({ at: offset(CENTRE, -150, 20), name: '新网吧', category: 'internet_cafe', licenceNo: 'TILE-3' }))
        .expect(201)
    ).body.id
    const revalidated = await getTile(viewer, path('premises', HOME)).set('If-None-Match', before)
    expect(revalidated.status).toBe(200)
    expect(revalidated.headers.etag).not.toBe(before)
    const feature = featuresOf(decode(revalidated.body as Buffer), 'premises').find((f) => f.properties.id === created)
    expect(feature?.properties).toMatchObject({ name: '新网吧', category: 'internet_cafe', conflict: true, nearestSchoolId: schoolId })
    expect((await getTile(t.request(), path('counties', tileAt(GUYUAN.lon, GUYUAN.lat, 8)))).headers.etag).toBe(countiesBefore)
  })

  it('bumps the version only when a write commits: a rolled-back insert changes nothing', async () => {
    const version = async () =>
      (await t.app.db.selectFrom('tile_versions').select('version').where('layer', '=', 'premises').executeTakeFirstOrThrow()).version
    const before = await version()
    await expect(
      t.app.db.transaction().execute(async (trx) => {
        await sql`insert into premises (name, category, county_code, geom) values ('回滚', 'fireworks', '640402', ST_SetSRID(ST_MakePoint(${CENTRE[0]}::float8, ${CENTRE[1]}::float8), 4326))`.execute(
          trx,
        )
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect(await version()).toBe(before)
    await sql`update premises set name = name where id = ${farId}`.execute(t.app.db)
    expect(Number(await version())).toBe(Number(before) + 1)
  })

  it('redraws the zones when the school moves, in the same write', async () => {
    const moved = offset(CENTRE, 0, 50)
    const before = (await getTile(viewer, path('zones', HOME)).expect(200)).headers.etag!
    const ring = schoolFeature({ center: moved }).geometry
    await admin
      .patch(`/api/schools/${schoolId}`)
      .send({ geometry: ring, properties: { gates: [offset(moved, 0, -40)] } })
      .expect(200)
    const response = await getTile(viewer, path('zones', HOME)).set('If-None-Match', before).expect(200)
    const control = featuresOf(decode(response.body as Buffer), 'zones').find(
      (f) => f.properties.schoolId === schoolId && f.properties.band === 'control',
    )!
    const bounds = lonLatBounds(control, HOME)
    expect(Math.abs(northSouthMetres((bounds.north + bounds.south) / 2 - moved[1]))).toBeLessThan(1)
    await admin
      .patch(`/api/schools/${schoolId}`)
      .send({
        geometry: schoolFeature({ center: CENTRE }).geometry,
        properties: { gates: schoolFeature({ center: CENTRE }).properties.gates },
      })
      .expect(200)
  })
})

describe('the registry layer: schools, zones and premises in one tile', () => {
  const versionOf = async (layer: string) =>
    new URL((await viewer.get(`/tiles/${layer}.json`).expect(200)).body.tiles[0].replace(/[{}]/g, '')).searchParams.get('v')!

  it('holds exactly the features of the three layers it joins, zoom by zoom', async () => {
    for (const z of [11, 13, Z, 16]) {
      const tile = tileAt(CENTRE[0], CENTRE[1], z)
      const registry = decode((await getTile(viewer, path('registry', tile)).expect(200)).body as Buffer)
      const expected = new Set<string>()
      for (const layer of ['schools', 'zones', 'premises']) {
        const response = await getTile(viewer, path(layer, tile))
        if (response.status === 204) continue
        const part = decode(response.body as Buffer)
        for (const id of Object.keys(part.layers)) {
          expected.add(id)
          const properties = (features: VectorTileFeature[]) =>
            features.map((f) => JSON.stringify([f.type, f.properties, f.loadGeometry()])).sort()
          expect(properties(featuresOf(registry, id)), `${id} at z${z}`).toEqual(properties(featuresOf(part, id)))
        }
      }
      expect(Object.keys(registry.layers).sort(), `z${z}`).toEqual([...expected].sort())
    }
    const full = decode((await getTile(viewer, path('registry', HOME)).expect(200)).body as Buffer)
    expect(Object.keys(full.layers).sort()).toEqual(['campuses', 'gates', 'premises', 'school_labels', 'zones'])
  })

  it('describes its source-layers and names the versions of its parts in its own', async () => {
    const tileJson = (await viewer.get('/tiles/registry.json').expect(200)).body
    expect(tileJson.vector_layers.map((v: { id: string }) => v.id)).toEqual(['campuses', 'gates', 'school_labels', 'zones', 'premises'])
    expect([tileJson.minzoom, tileJson.maxzoom]).toEqual([10, 16])
    const parts = await Promise.all(['schools', 'zones', 'premises'].map(versionOf))
    expect(await versionOf('registry')).toBe(parts.join('.'))
    const [west, south, east, north] = tileJson.bounds
    expect(CENTRE[0]).toBeGreaterThan(west)
    expect(CENTRE[0]).toBeLessThan(east)
    expect(CENTRE[1]).toBeGreaterThan(south)
    expect(CENTRE[1]).toBeLessThan(north)
  })

  it('renders identical requests of a versioned tile that arrive together once, and unversioned ones each anew', async () => {
    let queries = 0
    const counted = t.app.db.withPlugin({
      transformQuery: (args) => {
        queries += 1
        return args.node
      },
      transformResult: async (args) => args.result,
    })
    const version = await versionOf('registry')
    const ask = (v: string | undefined) =>
      Promise.all(Array.from({ length: 4 }, () => tile(counted, t.app.databaseKind, 'registry', HOME, v ? { v } : {}, undefined)))
    const shared = await ask(version)
    expect(queries).toBe(1)
    expect(new Set(shared.map((answer) => answer.etag)).size).toBe(1)
    expect(shared.every((answer) => answer.body!.equals(shared[0]!.body!))).toBe(true)
    queries = 0
    const separate = await ask(undefined)
    expect(queries).toBe(4)
    expect(separate.map((answer) => answer.body!.equals(shared[0]!.body!))).toEqual([true, true, true, true])
    // Once done, nothing is kept: the next request renders again.
    queries = 0
    await ask(version)
    expect(queries).toBe(1)
  })

  it('answers a versioned tile drawn before from the cache after one version read, and renders again after a write', async () => {
    let queries = 0
    const counted = t.app.db.withPlugin({
      transformQuery: (args) => {
        queries += 1
        return args.node
      },
      transformResult: async (args) => args.result,
    })
    const cache = new TileCache(1024 * 1024)
    const version = await versionOf('registry')
    const ask = (v: string) => tile(counted, t.app.databaseKind, 'registry', HOME, { v }, undefined, { cache })
    const drawn = await ask(version)
    expect(queries).toBe(1)
    queries = 0
    const again = await ask(version)
    // The version read, no render: the same bytes, ETag and caching.
    expect(queries).toBe(1)
    expect(again.body!.equals(drawn.body!)).toBe(true)
    expect([again.etag, again.cacheControl]).toEqual([drawn.etag, 'private, max-age=31536000, immutable'])
    const created = (
      await admin
        .post('/api/premises')
        .send(premisesFeature({ at: offset(CENTRE, -120, 60), name: '缓存后烟店', licenceNo: 'TILE-CACHE-1' }))
        .expect(201)
    ).body.id
    const after = await versionOf('registry')
    queries = 0
    // The old version's entry is never served once the data moved on: the version read, then the render.
    const stale = await ask(version)
    expect(queries).toBe(2)
    expect([stale.etag, stale.cacheControl]).toEqual([`"registry-${HOME.z}-${HOME.x}-${HOME.y}-${after}"`, 'private, no-cache'])
    expect(featuresOf(decode(stale.body!), 'premises').some((f) => f.properties.id === created)).toBe(true)
    queries = 0
    expect((await ask(after)).body!.equals(stale.body!)).toBe(true)
    expect(queries).toBe(1)
  })

  it('serves the cached tile through HTTP byte for byte as drawn, and the current one after a write', async () => {
    const version = await versionOf('registry')
    const url = `${path('registry', HOME)}?v=${version}`
    const first = await getTile(viewer, url).expect(200)
    const second = await getTile(viewer, url).expect(200)
    expect((second.body as Buffer).equals(first.body as Buffer)).toBe(true)
    expect(second.headers.etag).toBe(first.headers.etag)
    await admin
      .post('/api/premises')
      .send(premisesFeature({ at: offset(CENTRE, 130, 70), name: '缓存外烟店', licenceNo: 'TILE-CACHE-2' }))
      .expect(201)
    const after = await getTile(viewer, url).expect(200)
    expect(after.headers.etag).toBe(`"registry-${HOME.z}-${HOME.x}-${HOME.y}-${await versionOf('registry')}"`)
    expect(after.headers['cache-control']).toBe('private, no-cache')
    expect(featuresOf(decode(after.body as Buffer), 'premises').length).toBe(
      featuresOf(decode(first.body as Buffer), 'premises').length + 1,
    )
  })

  it('answers 304 while nothing changed, and a new version and ETag after a write to any part', async () => {
    const version = await versionOf('registry')
    const first = await getTile(viewer, `${path('registry', HOME)}?v=${version}`).expect(200)
    expect(first.headers.etag).toBe(`"registry-${HOME.z}-${HOME.x}-${HOME.y}-${version}"`)
    expect(first.headers['cache-control']).toBe('private, max-age=31536000, immutable')
    expect((await getTile(viewer, path('registry', HOME)).set('If-None-Match', first.headers.etag!)).status).toBe(304)
    const created = (
      await admin
        .post('/api/premises')
        .send(premisesFeature({ at: offset(CENTRE, 150, -40), name: '合并层烟店', licenceNo: 'TILE-REG-1' }))
        .expect(201)
    ).body.id
    const after = await versionOf('registry')
    expect(after).not.toBe(version)
    // Only the premises part moved on.
    expect(after.split('.').slice(0, 2)).toEqual(version.split('.').slice(0, 2))
    const changed = await getTile(viewer, path('registry', HOME)).set('If-None-Match', first.headers.etag!).expect(200)
    expect(changed.headers.etag).toBe(`"registry-${HOME.z}-${HOME.x}-${HOME.y}-${after}"`)
    expect(featuresOf(decode(changed.body as Buffer), 'premises').some((f) => f.properties.id === created)).toBe(true)
    expect((await getTile(viewer, `${path('registry', HOME)}?v=${version}`).expect(200)).headers['cache-control']).toBe('private, no-cache')
  })
})

describe('who may read which layer', () => {
  it('refuses the registry layers without a session', async () => {
    for (const layer of ['schools', 'zones', 'premises', 'registry']) {
      expectErrorBody(await t.request().get(path(layer, HOME)), 401, 'UNAUTHENTICATED')
      expectErrorBody(await t.request().get(`/tiles/${layer}.json`), 401, 'UNAUTHENTICATED')
    }
  })

  it('serves counties and townships to anyone', async () => {
    const counties = decode((await getTile(t.request(), path('counties', tileAt(GUYUAN.lon, GUYUAN.lat, 8))).expect(200)).body as Buffer)
    const outlines = featuresOf(counties, 'counties')
    expect(outlines.map((f) => f.properties.code).sort()).toEqual(['640402', '640422', '640423', '640424', '640425'])
    expect(outlines.find((f) => f.properties.code === '640402')?.properties.name).toBe('原州区')
    expect(featuresOf(counties, 'county_labels')).toHaveLength(5)
    const townships = decode((await getTile(t.request(), path('townships', tileAt(GUYUAN.lon, GUYUAN.lat, 8))).expect(200)).body as Buffer)
    const seats = featuresOf(townships, 'townships')
    expect(seats.length).toBeGreaterThan(10)
    expect(seats[0]!.properties).toEqual({
      code: expect.stringMatching(/^\d{9}$/),
      name: expect.any(String),
      countyCode: expect.stringMatching(/^6404\d\d$/),
    })
  })
})

describe('refused input', () => {
  const cases: [string, string, RegExp][] = [
    ['zoom 23', '/tiles/counties/23/0/0.mvt', /params\/z/],
    ['a negative zoom', '/tiles/counties/-1/0/0.mvt', /params\/z/],
    ['a fractional zoom', '/tiles/counties/1.5/0/0.mvt', /params\/z/],
    ['a zoom that is not a number', '/tiles/counties/a/0/0.mvt', /params\/z/],
    ['x = 2^z', '/tiles/counties/3/8/0.mvt', /params\/x/],
    ['y = 2^z', '/tiles/counties/3/0/8.mvt', /params\/y/],
    ['a negative x', '/tiles/counties/3/-1/0.mvt', /params\/x/],
    ['a huge y', '/tiles/counties/3/0/99999999999.mvt', /params\/y/],
    ['an unknown layer', '/tiles/railways/3/0/0.mvt', /params\/layer/],
    ['an unknown layer TileJSON', '/tiles/railways.json', /params\/layer/],
    ['an unknown query parameter', '/tiles/counties/3/0/0.mvt?format=png', /querystring\/format/],
    ['a version with odd characters', '/tiles/counties/3/0/0.mvt?v=%3Cscript%3E', /querystring\/v/],
  ]
  for (const [label, url, names] of cases) {
    it(`answers ${label} with a 4xx naming the field`, async () => {
      const response = await t.request().get(url)
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      expectErrorBody(response, response.status)
      expect(response.body.message).toMatch(names)
    })
  }
})

/** The same summary as a decoded feature gives, from the rows the Node encoder was handed (tile coordinates, y down). */
function rowSummary(row: { properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }) {
  const rings: number[][][] =
    row.geometry.type === 'Point'
      ? [[row.geometry.coordinates as number[]]]
      : row.geometry.type === 'MultiPoint' || row.geometry.type === 'LineString'
        ? [row.geometry.coordinates as number[][]]
        : row.geometry.type === 'Polygon' || row.geometry.type === 'MultiLineString'
          ? (row.geometry.coordinates as number[][][])
          : (row.geometry.coordinates as number[][][][]).flat()
  const points = rings.flat()
  const xs = points.map((p) => p[0]!)
  const ys = points.map((p) => p[1]!)
  const type = /Point/.test(row.geometry.type) ? 1 : /LineString/.test(row.geometry.type) ? 2 : 3
  const ring = rings[0]!.map(([x, y]) => ({ x: x!, y: y! }))
  // Decoded rings are open; GeoJSON rings repeat their first position.
  const open = type === 3 ? ring.slice(0, -1) : ring
  return {
    properties: Object.fromEntries(Object.entries(row.properties).filter(([, v]) => v !== null)),
    type,
    bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
    exterior: Math.sign(signedArea(open)),
    rings: rings.length,
  }
}

// On a server the database's own encoder (ST_AsMVT) is the reference; embedded, where it does not exist, the
// reference is the feature rows the Node encoder was given, so the protobuf writing is checked on both.
describe(onServer() ? 'the two encoders' : 'the Node encoder against its input rows', () => {
  let compared = 0
  const compare = async (layer: keyof typeof LAYERS, tile: { z: number; x: number; y: number }) => {
    const ids = LAYERS[layer].sourceLayers.filter((s) => tile.z >= s.minzoom).map((s) => s.id as SourceLayerId)
    const box = tileBox(tile.z, tile.x, tile.y)
    const rows = (await tileFeatures(t.app.db, box, ids)).layers
    const database = onServer() ? decode((await renderTileInDatabase(t.app.db, box, ids)).tile) : null
    const node = decode(encodeTile(rows))
    type Summary = { properties: Record<string, unknown>; type: number; bbox: number[]; exterior: number; rings: number }
    const order = (list: Summary[]) =>
      list.sort((a, b) => JSON.stringify(a.properties).localeCompare(JSON.stringify(b.properties)) || a.bbox[0]! - b.bbox[0]!)
    for (const id of ids) {
      const summary = (tile: VectorTile): Summary[] =>
        order(
          featuresOf(tile, id).map((f) => ({
            properties: f.properties,
            type: f.type,
            bbox: f.bbox(),
            exterior: Math.sign(signedArea(f.loadGeometry()[0]!)),
            rings: f.loadGeometry().length,
          })),
        )
      const reference = database ? summary(database) : order((rows[id] ?? []).map(rowSummary))
      const [a, b] = [reference, summary(node)]
      expect(b.length, `${layer} ${id} feature count`).toBe(a.length)
      compared += a.length
      for (const [i, expected] of a.entries()) {
        const actual = b[i]!
        expect(actual.properties, `${layer} ${id} #${i}`).toEqual(expected.properties)
        expect(actual.type).toBe(expected.type)
        if (expected.type === 3) expect(actual.exterior, `${layer} ${id} #${i} orientation`).toBe(expected.exterior)
        for (const k of [0, 1, 2, 3])
          expect(
            Math.abs(actual.bbox[k]! - expected.bbox[k]!),
            `${layer} ${id} #${i} bbox[${k}] ${expected.bbox} vs ${actual.bbox}`,
          ).toBeLessThanOrEqual(1)
      }
    }
    return ids
  }

  it('agree on every layer over the school, from zoom 11 to 16, and on clipped county outlines', async () => {
    for (const z of [11, 12, 13, 14, 15, 16]) {
      const tile = tileAt(CENTRE[0], CENTRE[1], z)
      for (const layer of ['schools', 'zones', 'premises'] as const) await compare(layer, tile)
    }
    for (const z of [6, 8, 10, 12]) {
      const tile = tileAt(GUYUAN.lon + 0.05, GUYUAN.lat, z)
      await compare('counties', tile)
      await compare('townships', tile)
    }
    expect(compared).toBeGreaterThan(60)
  })
})
