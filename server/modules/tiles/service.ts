import type { Kysely } from 'kysely'
import type { DatabaseKind } from '../../db/connect.ts'
import type { Database } from '../../db/types.ts'
import { invalid } from '../../errors.ts'
import type { TileJson, TileLayer, TileParams, TileQuery } from '../../schemas/tiles.ts'
import { encodeTile } from './encode.ts'
import { LAYERS, type SourceLayerId } from './layers.ts'
import * as repository from './repository.ts'
import type { TileCache } from './tile-cache.ts'

/** Guyuan's extent and city centre: the TileJSON answer while a layer holds no data. */
const GUYUAN_BOUNDS: [number, number, number, number] = [105.32, 35.24, 106.95, 36.52]
const GUYUAN_CENTER: [number, number] = [106.238411, 36.016037]
const MERCATOR_MAX_LAT = 85.0511

export const TILE_MEDIA_TYPE = 'application/vnd.mapbox-vector-tile'

export interface TileAnswer {
  status: 200 | 204 | 304
  body: Buffer | null
  etag: string
  cacheControl: string
}

/** Whether an If-None-Match header names this entity tag (weak comparison, as RFC 9110 asks for it). */
export function matchesEntityTag(header: string | undefined, etag: string): boolean {
  if (!header) return false
  const bare = (tag: string) => tag.trim().replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag))
}

/** The current data version of one layer. */
export async function dataVersion(db: Kysely<Database>, layer: TileLayer): Promise<string> {
  const version = (await repository.dataVersions(db)).get(layer)
  if (!version) throw new Error(`tile layer ${layer} has no version row (migration 0004 not applied?)`)
  return version
}

/** Where a tile may come from besides a render: this instance's cache, and the pool its version is read on. */
export interface TileSources {
  cache?: TileCache | undefined
  /** For the one-row version read before a cached tile is served (the prepared pool on the server); default: db. */
  versionDb?: Kysely<Database> | undefined
}

/**
 * One vector tile, or 304 when the client's copy is current, or 204 when the tile is empty. The tile is
 * drawn and its data version read in one statement, so the ETag always names the data sent; only a
 * conditional request reads the version first (a 304 then costs that one small read). With a cache, a
 * versioned URL (`?v=`, as the TileJSON hands them out) whose tile was drawn at that version is answered
 * from memory once a read of the layer's version shows it is still the current one: the same bytes a
 * render would draw, for one small read instead of the render.
 */
export async function tile(
  db: Kysely<Database>,
  kind: DatabaseKind,
  layer: TileLayer,
  params: TileParams,
  query: TileQuery,
  ifNoneMatch: string | undefined,
  sources: TileSources = {},
): Promise<TileAnswer> {
  const { z, x, y } = params
  const size = 2 ** z
  if (x >= size) throw invalid('params/x', `must be less than 2^z = ${size} at zoom ${z}`)
  if (y >= size) throw invalid('params/y', `must be less than 2^z = ${size} at zoom ${z}`)
  const definition = LAYERS[layer]
  const etagOf = (version: string) => `"${layer}-${z}-${x}-${y}-${version}"`
  // Registry data changes at any time, so a tile is revalidated on every use (a 304 costs one
  // counter read) — unless its URL carries the current data version: then the URL names this very
  // content and may be kept for a year; the TileJSON (never cached) hands out the new version after
  // a write. Layers that need a login are private: no shared cache may keep them.
  const scope = definition.access === 'public' ? 'public' : 'private'
  const cacheControlOf = (version: string) => (query.v === version ? `${scope}, max-age=31536000, immutable` : `${scope}, no-cache`)
  const answer = (body: Buffer, version: string): TileAnswer => ({
    status: body.length > 0 ? 200 : 204,
    body: body.length > 0 ? body : null,
    etag: etagOf(version),
    cacheControl: cacheControlOf(version),
  })
  const { cache, versionDb = db } = sources
  const key = `${layer}/${z}/${x}/${y}`
  if (ifNoneMatch) {
    const version = await dataVersion(versionDb, layer)
    if (matchesEntityTag(ifNoneMatch, etagOf(version)))
      return { status: 304, body: null, etag: etagOf(version), cacheControl: cacheControlOf(version) }
    const cached = cache?.get(key, version)
    if (cached) return answer(cached, version)
  } else if (cache && query.v !== undefined && cache.has(key, query.v)) {
    // Only a tile held at the very version asked for is worth the read; a stale one renders (one statement) as below.
    const version = await dataVersion(versionDb, layer)
    const cached = version === query.v ? cache.get(key, version) : undefined
    if (cached) return answer(cached, version)
  }
  const sourceLayers = definition.sourceLayers.filter((s) => z >= s.minzoom).map((s) => s.id)
  const box = repository.tileBox(z, x, y)
  const render = () => renderTile(db, kind, box, sourceLayers, layer)
  const { tile: body, version } = await (query.v === undefined ? render() : sharedRender(db, `${key}?v=${query.v}`, render))
  if (!version) throw new Error(`tile layer ${layer} has no version row (migration 0004 not applied?)`)
  cache?.set(key, version, body)
  return answer(body, version)
}

/** The renders under way, per database handle: identical requests that arrive meanwhile wait for the same one. */
const rendering = new WeakMap<Kysely<Database>, Map<string, Promise<{ tile: Buffer; version: string | null }>>>()

/**
 * Runs one render for all identical requests of a versioned tile URL (`?v=`, as the TileJSON hands them out) that arrive
 * while it is under way. A map asks for the same tile at once several times (an overzoomed tile serves four positions:
 * counties and townships above their maxzoom), and the answer, read in one snapshot with its version, is equally right
 * for each. Nothing is kept once it is done; the key holds the version asked for, so a map that picked up a new version
 * after a write never joins a render begun before it, and a request without a version always renders anew.
 */
function sharedRender(
  db: Kysely<Database>,
  key: string,
  render: () => Promise<{ tile: Buffer; version: string | null }>,
): Promise<{ tile: Buffer; version: string | null }> {
  let flights = rendering.get(db)
  if (!flights) rendering.set(db, (flights = new Map()))
  const running = flights.get(key)
  if (running) return running
  const started = render().finally(() => flights.delete(key))
  flights.set(key, started)
  return started
}

/**
 * Encodes one tile: ST_AsMVT in the database on a PostGIS server, the same clipping and quantising in
 * SQL with the protobuf written in Node on the embedded database (built without protobuf-c). With
 * `versionOf`, that layer's data version is read in the same statement.
 */
export async function renderTile(
  db: Kysely<Database>,
  kind: DatabaseKind,
  box: repository.TileBox,
  sourceLayers: readonly SourceLayerId[],
  versionOf?: TileLayer,
): Promise<{ tile: Buffer; version: string | null }> {
  if (kind === 'postgis') return repository.renderTileInDatabase(db, box, sourceLayers, versionOf)
  const { layers, version } = await repository.tileFeatures(db, box, sourceLayers, versionOf)
  return { tile: encodeTile(layers), version }
}

const extents = new Map<string, [number, number, number, number] | null>()

async function boundsOf(db: Kysely<Database>, layer: TileLayer, version: string): Promise<[number, number, number, number]> {
  const key = `${layer}:${version}`
  if (!extents.has(key)) {
    if (extents.size > 100) extents.clear()
    extents.set(key, await repository.layerExtent(db, layer))
  }
  const extent = extents.get(key) ?? GUYUAN_BOUNDS
  // A little margin (and never a zero-width box for a single point), rounded outwards, within Web Mercator.
  const pad = 0.01
  const down = (v: number) => Math.floor(v * 1e5) / 1e5
  const up = (v: number) => Math.ceil(v * 1e5) / 1e5
  return [
    Math.max(-180, down(extent[0] - pad)),
    Math.max(-MERCATOR_MAX_LAT, down(extent[1] - pad)),
    Math.min(180, up(extent[2] + pad)),
    Math.min(MERCATOR_MAX_LAT, up(extent[3] + pad)),
  ]
}

const HOST = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/

/**
 * The scheme://host tile URLs start with: the published one (PUBLIC_URL) behind a proxy, not whatever Host the client
 * sent; otherwise the request's, refused (400 naming the header) when the Host is not a host name or address.
 */
export function tileOrigin(publicUrl: string | undefined, request: { protocol: string; host: string }): string {
  if (publicUrl) return publicUrl
  if (!HOST.test(request.host)) throw invalid('headers/host', 'is not a host name or address with an optional port')
  return `${request.protocol}://${request.host}`
}

/** TileJSON 3.0.0 of a layer; `origin` (scheme://host of the request) makes the tile URLs absolute, as TileJSON 3 requires. */
export async function tileJson(db: Kysely<Database>, layer: TileLayer, origin: string, versions?: Map<string, string>): Promise<TileJson> {
  const definition = LAYERS[layer]
  const version = versions?.get(layer) ?? (await dataVersion(db, layer))
  const bounds = await boundsOf(db, layer, version)
  const [west, south, east, north] = bounds
  const inside = GUYUAN_CENTER[0] >= west && GUYUAN_CENTER[0] <= east && GUYUAN_CENTER[1] >= south && GUYUAN_CENTER[1] <= north
  const center = inside ? GUYUAN_CENTER : [Math.round(((west + east) / 2) * 1e5) / 1e5, Math.round(((south + north) / 2) * 1e5) / 1e5]
  return {
    tilejson: '3.0.0',
    name: definition.name,
    description: definition.description,
    attribution: layer === 'roads' ? (await repository.roadAttributions(db)).join(' · ') || definition.attribution : definition.attribution,
    scheme: 'xyz',
    tiles: [`${origin}/tiles/${layer}/{z}/{x}/{y}.mvt?v=${version}`],
    minzoom: definition.minzoom,
    maxzoom: definition.maxzoom,
    bounds,
    center: [center[0]!, center[1]!, definition.centerZoom],
    vector_layers: definition.sourceLayers.map(({ id, description, minzoom, maxzoom, fields }) => ({
      id,
      description,
      minzoom,
      maxzoom,
      fields,
    })),
  }
}

/** The TileJSON of several layers, their data versions read once: what the map desk inlines in its settings. */
export async function tileJsons(db: Kysely<Database>, layers: readonly TileLayer[], origin: string): Promise<Record<string, TileJson>> {
  const versions = await repository.dataVersions(db)
  const answers: Record<string, TileJson> = {}
  for (const layer of layers) answers[layer] = await tileJson(db, layer, origin, versions)
  return answers
}
