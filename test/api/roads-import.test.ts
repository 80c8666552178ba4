import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { gridNetwork, osmXml, type OsmNode, type OsmWay } from '../factories/osm.ts'
import { GUYUAN, offset } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

const run = promisify(execFile)
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
const MAX_NODES = 2000

let t: TestApp
let governance: TestAgent
let police: TestAgent
let tobacco: TestAgent
let viewer: TestAgent
let work: string
beforeAll(async () => {
  t = await startTestApp({ roadImportMaxNodes: MAX_NODES })
  governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  police = (await t.signIn({ department: 'police', role: 'supervisor' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  viewer = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'roads-import-'))
})
afterAll(async () => {
  await t?.close()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})
beforeEach(async () => {
  await sql`delete from road_sources`.execute(t.app.db)
  await sql`delete from address_points`.execute(t.app.db)
})

interface StoredRoad {
  osm_id: string | null
  name: string | null
  kind: string
  walkable: boolean
  drivable: boolean
  oneway: boolean
  geometry: { type: string; coordinates: [number, number][] }
}
const stored = async () =>
  (
    await sql<StoredRoad>`select osm_id::text, name, kind, walkable, drivable, oneway, ST_AsGeoJSON(geom)::json as geometry from roads order by id`.execute(
      t.app.db,
    )
  ).rows
const counts = async () =>
  (
    await sql<{
      roads: number
      sources: number
      addresses: number
    }>`select (select count(*)::int from roads) as roads, (select count(*)::int from road_sources) as sources,
    (select count(*)::int from address_points) as addresses`.execute(t.app.db)
  ).rows[0]!
const sendXml = (agent: TestAgent, xml: string | Buffer, query = '') =>
  agent.post(`/api/import/roads${query}`).set('Content-Type', 'application/osm+xml').send(Buffer.from(xml))
const collection = (features: unknown[]) => ({ type: 'FeatureCollection', features })
const line = (properties: Record<string, unknown>, coordinates: number[][]) => ({
  type: 'Feature',
  properties,
  geometry: { type: 'LineString', coordinates },
})

/** A small town: a street, a footpath from it, a railway (not a road), a one-way lane drawn against its direction and an address. */
function town(): { nodes: OsmNode[]; ways: OsmWay[] } {
  const p = (id: number, e: number, n: number, tags?: Record<string, string>): OsmNode => {
    const [lon, lat] = offset(CENTER, e, n)
    return { id, lon: lon.toFixed(7), lat: lat.toFixed(7), ...(tags ? { tags } : {}) }
  }
  return {
    nodes: [
      p(1, 0, 0),
      p(2, 100, 0),
      p(3, 200, 0),
      p(4, 100, 80),
      p(5, 0, 50),
      p(6, 200, 50),
      p(7, 300, 0),
      p(8, 60, 20, { 'addr:street': '文化街', 'addr:housenumber': '12' }),
    ],
    ways: [
      { id: 101, refs: [1, 2, 3], tags: { highway: 'tertiary', name: '文化街' } },
      { id: 102, refs: [2, 4], tags: { highway: 'footway' } },
      { id: 103, refs: [5, 6], tags: { railway: 'rail' } },
      { id: 104, refs: [7, 3], tags: { highway: 'service', oneway: '-1', name: '仓库巷' } },
      { id: 105, refs: [3, 7], tags: { highway: 'primary_link', foot: 'no' } },
    ],
  }
}

describe('OpenStreetMap XML', () => {
  it('stores each highway way with kind, walkable, drivable and one-way from its tags, and address nodes as address points', async () => {
    const response = await sendXml(governance, osmXml(town()), '?source=town.osm').expect(201)
    expect(response.body).toMatchObject({
      source: 'town.osm',
      licence: 'ODbL-1.0',
      attribution: '© OpenStreetMap contributors',
      imported: 4,
      replaced: 0,
      skipped: { notRoads: 1, outside: 0 },
      addressPoints: 1,
    })
    const roads = await stored()
    expect(roads.map((r) => [r.osm_id, r.name, r.kind, r.walkable, r.drivable, r.oneway])).toEqual([
      ['101', '文化街', 'tertiary', true, true, false],
      ['102', null, 'footway', true, false, false],
      ['104', '仓库巷', 'service', true, true, true],
      ['105', null, 'primary', false, true, false],
    ])
    // Positions are the nodes' own, vertex for vertex; the reversed one-way runs in its direction of travel.
    const { nodes } = town()
    const at = (id: number) => nodes.find((n) => n.id === id)!
    expect(roads[0]!.geometry.coordinates).toEqual([1, 2, 3].map((id) => [Number(at(id).lon), Number(at(id).lat)]))
    expect(roads[2]!.geometry.coordinates).toEqual([3, 7].map((id) => [Number(at(id).lon), Number(at(id).lat)]))
    const address = (
      await sql<{ address: string; county_code: string; source: string }>`select address, county_code, source from address_points`.execute(
        t.app.db,
      )
    ).rows
    expect(address).toEqual([{ address: '文化街12号', county_code: '640402', source: 'town.osm' }])
    const source = (await sql<{ format: string; licence: string }>`select format, licence from road_sources`.execute(t.app.db)).rows
    expect(source).toEqual([{ format: 'osm', licence: 'ODbL-1.0' }])
  })

  it('keeps crossing lines apart: a bridge over a street shares no vertex with it', async () => {
    const [a, b] = [offset(CENTER, -100, 0), offset(CENTER, 100, 0)]
    const [c, d] = [offset(CENTER, 0, -100), offset(CENTER, 0, 100)]
    const nodes = [a, b, c, d].map(([lon, lat], i) => ({ id: i + 1, lon: lon.toFixed(7), lat: lat.toFixed(7) }))
    const ways: OsmWay[] = [
      { id: 1, refs: [1, 2], tags: { highway: 'residential' } },
      { id: 2, refs: [3, 4], tags: { highway: 'primary', bridge: 'yes', layer: '1' } },
    ]
    await sendXml(governance, osmXml({ nodes, ways })).expect(201)
    const roads = await stored()
    expect(roads.map((r) => r.geometry.coordinates.length)).toEqual([2, 2])
    const { rows } = await sql<{
      shared: number
    }>`select count(*)::int as shared from (select (ST_DumpPoints(geom)).geom as g from roads where osm_id = 1) x
      join (select (ST_DumpPoints(geom)).geom as g from roads where osm_id = 2) y on ST_Equals(x.g, y.g)`.execute(t.app.db)
    expect(rows[0]!.shared).toBe(0)
  })

  it('imports a street grid in one transaction and records the import in the audit log', async () => {
    const grid = gridNetwork(CENTER, 12, 80)
    const response = await sendXml(police, osmXml(grid), '?source=grid').expect(201)
    expect(response.body.imported).toBe(grid.ways.length)
    expect((await counts()).roads).toBe(grid.ways.length)
    const { rows } = await sql<{
      action: string
      entity_type: string
      username: string
    }>`select action, entity_type, username from audit_log where entity_type = 'road_source' order by id desc limit 1`.execute(t.app.db)
    expect(rows[0]).toMatchObject({ action: 'import', entity_type: 'road_source' })
  })

  it('refuses a second import of the same source unless replace=true, which swaps its roads', async () => {
    await sendXml(governance, osmXml(town()), '?source=same').expect(201)
    const again = await sendXml(governance, osmXml(town()), '?source=same').expect(409)
    expectErrorBody(again, 409, 'DUPLICATE')
    expect(again.body.message).toMatch(/replace=true/)
    const grid = gridNetwork(CENTER, 4, 60, 1000)
    const replaced = await sendXml(governance, osmXml(grid), '?source=same&replace=true').expect(201)
    expect(replaced.body).toMatchObject({ imported: grid.ways.length, replaced: 4 })
    expect(await counts()).toMatchObject({ roads: grid.ways.length, sources: 1 })
  })
})

describe('OpenStreetMap PBF', () => {
  it('reads the same roads from a .osm.pbf written by osmium as from the XML it was made from', async () => {
    const xml = path.join(work, 'town.osm')
    const pbf = path.join(work, 'town.osm.pbf')
    fs.writeFileSync(xml, osmXml(town()))
    await run('osmium', ['cat', xml, '-o', pbf, '--overwrite'])
    await sendXml(governance, fs.readFileSync(xml), '?source=xml').expect(201)
    const fromXml = await stored()
    await sql`delete from road_sources`.execute(t.app.db)
    const response = await governance
      .post('/api/import/roads?source=pbf')
      .set('Content-Type', 'application/vnd.openstreetmap.data+pbf')
      .send(fs.readFileSync(pbf))
      .expect(201)
    expect(response.body).toMatchObject({ imported: 4, licence: 'ODbL-1.0', addressPoints: 1 })
    expect(await stored()).toEqual(fromXml)
  })

  it('answers a file that is not PBF with 400 and stores nothing', async () => {
    const response = await governance
      .post('/api/import/roads')
      .set('Content-Type', 'application/vnd.openstreetmap.data+pbf')
      .send(Buffer.from('\u0000\u0000\u0000\u0010not a pbf file at all, just bytes'))
      .expect(400)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/PBF/)
    expect(await counts()).toMatchObject({ roads: 0, sources: 0 })
  })
})

describe('GeoJSON', () => {
  it('stores LineString and MultiLineString features (one road a part), with walkable and drivable overridable', async () => {
    const a = offset(CENTER, 0, 0)
    const b = offset(CENTER, 150, 0)
    const c = offset(CENTER, 150, 150)
    const features = [
      line({ highway: 'residential', name: '新华路' }, [a, b]),
      {
        type: 'Feature',
        properties: { kind: 'path', name: '小路' },
        geometry: {
          type: 'MultiLineString',
          coordinates: [
            [a, c],
            [b, c],
          ],
        },
      },
      line({ highway: 'residential', walkable: false }, [b, c]),
      line({ building: 'yes' }, [a, c]),
    ]
    const response = await governance.post('/api/import/roads?source=survey').send(collection(features)).expect(201)
    expect(response.body).toMatchObject({ imported: 4, licence: 'not stated', attribution: 'survey', skipped: { notRoads: 1, outside: 0 } })
    expect((await stored()).map((r) => [r.name, r.kind, r.walkable, r.drivable])).toEqual([
      ['新华路', 'residential', true, true],
      ['小路', 'path', true, false],
      ['小路', 'path', true, false],
      [null, 'residential', false, true],
    ])
  })

  it('converts GCJ-02 positions to WGS84', async () => {
    const a = offset(CENTER, 0, 0)
    const b = offset(CENTER, 200, 0)
    await governance
      .post('/api/import/roads?crs=gcj02')
      .send(collection([line({ highway: 'residential' }, [a, b])]))
      .expect(201)
    const [road] = await stored()
    // GCJ-02 is offset by hundreds of metres here: the stored line is not where the input numbers say.
    expect(Math.abs(road!.geometry.coordinates[0]![0] - a[0]) + Math.abs(road!.geometry.coordinates[0]![1] - a[1])).toBeGreaterThan(0.001)
  })

  it('names every bad feature and stores nothing', async () => {
    const a = offset(CENTER, 0, 0)
    const features = [
      line({ highway: 'residential' }, [a, offset(CENTER, 10, 10)]),
      line({ highway: 'residential' }, [a]),
      { type: 'Feature', properties: { highway: 'residential' }, geometry: { type: 'Point', coordinates: a } },
      line({ highway: 'residential', walkable: 'yes' }, [a, offset(CENTER, 10, 0)]),
    ]
    const response = await governance.post('/api/import/roads').send(collection(features)).expect(400)
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(response.body.details.errors.map((e: { field: string }) => e.field)).toEqual([
      'features/1/geometry/coordinates',
      'features/2/geometry',
      'features/3/properties/walkable',
    ])
    expect(await counts()).toMatchObject({ roads: 0, sources: 0 })
  })
})

describe('bad files', () => {
  const expectNothingStored = async () => expect(await counts()).toEqual({ roads: 0, sources: 0, addresses: 0 })

  it('refuses broken XML naming the line', async () => {
    const xml = osmXml(town()).replace('</way>', '</wayy>')
    const response = await sendXml(governance, xml).expect(400)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/not well-formed.*line \d+/)
    await expectNothingStored()
  })

  it('refuses a way naming a node the file does not hold, naming the way and the node', async () => {
    const { nodes, ways } = town()
    const response = await sendXml(governance, osmXml({ nodes: nodes.filter((n) => n.id !== 4), ways })).expect(400)
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(response.body.details.errors).toEqual([
      { row: 2, field: 'way/102', message: expect.stringMatching(/names node 4, which the file does not hold/) },
    ])
    await expectNothingStored()
  })

  it('refuses non-finite and out-of-range coordinates, naming each node', async () => {
    const { nodes, ways } = town()
    const bad = nodes.map((n) =>
      n.id === 2 ? { ...n, lat: 'NaN' } : n.id === 3 ? { ...n, lon: '1e999' } : n.id === 4 ? { ...n, lat: '91' } : n,
    )
    const response = await sendXml(governance, osmXml({ nodes: bad, ways })).expect(400)
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(
      response.body.details.errors.filter((e: { field: string }) => e.field.startsWith('node/')).map((e: { field: string }) => e.field),
    ).toEqual(['node/2', 'node/3', 'node/4'])
    await expectNothingStored()
  })

  it('refuses entity declarations (no billion-laughs expansion, no external entity)', async () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE osm [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<osm version="0.6"><node id="1" lat="36" lon="106"><tag k="name" v="&lol3;"/></node></osm>`
    const external = `<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY x SYSTEM "file:///etc/passwd">]><osm version="0.6"><node id="1" lat="36" lon="106"><tag k="name" v="&x;"/></node></osm>`
    for (const xml of [laughs, external]) {
      const response = await sendXml(governance, xml).expect(400)
      expect(response.body.message).toMatch(/DOCTYPE/)
    }
    const undefinedEntity = osmXml(town()).replace('文化街', '&nope;')
    expect((await sendXml(governance, undefinedEntity).expect(400)).body.message).toMatch(/undefined entity/)
    await expectNothingStored()
  })

  it('refuses an extract with more nodes than the configured limit with 413', async () => {
    const grid = gridNetwork(CENTER, Math.ceil(Math.sqrt(MAX_NODES)) + 1, 20)
    const response = await sendXml(governance, osmXml(grid)).expect(413)
    expectErrorBody(response, 413, 'PAYLOAD_TOO_LARGE')
    expect(response.body.message).toMatch(/more than 2,000 nodes/)
    await expectNothingStored()
  })

  it('refuses a file whose roads all lie outside the counties', async () => {
    const beijing = gridNetwork([116.4, 39.9], 3, 100)
    const response = await sendXml(governance, osmXml(beijing)).expect(400)
    expect(response.body.message).toMatch(/no roads within/)
    await expectNothingStored()
  })

  it('refuses an empty body and XML that is not OpenStreetMap', async () => {
    await sendXml(governance, '').expect(400)
    expect((await sendXml(governance, '<?xml version="1.0"?><gpx></gpx>').expect(400)).body.message).toMatch(/root element is <gpx>/)
    await expectNothingStored()
  })
})

describe('access', () => {
  it('is kept by the governance office and the police; others are refused before anything is read', async () => {
    const xml = osmXml(town())
    await t
      .request()
      .post('/api/import/roads')
      .set('Origin', t.url)
      .set('Content-Type', 'application/osm+xml')
      .send(Buffer.from(xml))
      .expect(401)
    await sendXml(tobacco, xml).expect(403)
    await sendXml(viewer, xml).expect(403)
    await expectNothingStoredAfterRefusals()
  })
})

async function expectNothingStoredAfterRefusals() {
  expect(await counts()).toMatchObject({ roads: 0, sources: 0 })
}
