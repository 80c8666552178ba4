import { Readable } from 'node:stream'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { OSMTransform } from 'osm-pbf-parser-node'
import { SaxesParser } from 'saxes'
import { AppError } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import type { CrsName } from '../../schemas/common.ts'
import type { ImportRowError } from '../../schemas/registry.ts'
import type { RoadFormat } from '../../schemas/roads.ts'
import { classifyRoad, type RoadClass } from './tags.ts'

/** A road read from a file, in WGS84, not yet stored. */
export interface RoadCandidate extends RoadClass {
  osmId: number | null
  name: string | null
  coordinates: [number, number][]
}

/** An address node of an OpenStreetMap extract (addr:street + addr:housenumber). */
export interface AddressCandidate {
  address: string
  lon: number
  lat: number
}

export interface RoadFile {
  roads: RoadCandidate[]
  addresses: AddressCandidate[]
  /** Ways or features that are not roads the service keeps. */
  notRoads: number
  /** Roads with fewer than two distinct positions. */
  degenerate: number
  errors: ImportRowError[]
}

export const MAX_WAYS = 1_000_000
/** OpenStreetMap's own limit of nodes a way (API 0.6). */
const MAX_WAY_NODES = 2000
const MAX_ERRORS = 5000
const CHUNK_BYTES = 256 * 1024

const problem = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${field}: ${message}`, { problems: [{ field, message }] })
const tooLarge = (what: string, limit: number) =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    `body: the extract has more than ${limit.toLocaleString('en')} ${what}; cut it to the area you need (osmium extract) and import the parts`,
    {
      problems: [{ field: 'body', message: `more than ${limit} ${what}` }],
    },
  )

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/
const INTEGER = /^-?\d{1,17}$/

/**
 * Nodes of an extract (an extract larger than the configured limit is refused before it fills the memory): id → position, kept in typed arrays (an extract has millions, most of them
 * unused by roads) so that a large file costs 24 bytes a node rather than an object each.
 */
class NodeTable {
  constructor(private readonly maxNodes: number) {}
  private index = new Map<number, number>()
  private positions = new Float64Array(1 << 16)
  private count = 0
  add(id: number, lon: number, lat: number): void {
    if (this.count >= this.maxNodes) throw tooLarge('nodes', this.maxNodes)
    if (this.count * 2 >= this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2)
      grown.set(this.positions)
      this.positions = grown
    }
    this.index.set(id, this.count)
    this.positions[this.count * 2] = lon
    this.positions[this.count * 2 + 1] = lat
    this.count += 1
  }
  get(id: number): [number, number] | undefined {
    const i = this.index.get(id)
    return i === undefined ? undefined : [this.positions[i * 2]!, this.positions[i * 2 + 1]!]
  }
}

interface RawWay {
  id: number
  refs: number[]
  tags: Record<string, string>
}

/** Collects what an OpenStreetMap file holds, whichever encoding it came in. */
class OsmCollector {
  constructor(maxNodes: number) {
    this.nodes = new NodeTable(maxNodes)
  }
  readonly nodes: NodeTable
  readonly ways: RawWay[] = []
  readonly addresses: AddressCandidate[] = []
  readonly errors: ImportRowError[] = []
  notRoads = 0
  private nodeCount = 0

  error(row: number, field: string, message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ row, field, message })
  }

  node(id: number, lon: number, lat: number, tags: Record<string, string> | undefined): void {
    this.nodeCount += 1
    if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
      this.error(
        this.nodeCount,
        `node/${id}`,
        `has no valid position (lon ${lon}, lat ${lat}): lon must be a finite number in −180…180, lat in −90…90`,
      )
      return
    }
    this.nodes.add(id, lon, lat)
    const street = tags?.['addr:street']?.trim()
    const number = tags?.['addr:housenumber']?.trim()
    if (street && number) this.addresses.push({ address: `${street}${number}${/^\d+$/.test(number) ? '号' : ''}`.slice(0, 300), lon, lat })
  }

  way(id: number, refs: number[], tags: Record<string, string>): void {
    if (!classifyRoad(tags)) {
      this.notRoads += 1
      return
    }
    if (this.ways.length >= MAX_WAYS) throw tooLarge('roads', MAX_WAYS)
    if (refs.length > MAX_WAY_NODES) {
      this.error(this.ways.length + 1, `way/${id}`, `has ${refs.length} nodes; OpenStreetMap allows at most ${MAX_WAY_NODES}`)
      return
    }
    this.ways.push({ id, refs, tags })
  }

  /** Resolves each way's nodes; a way naming a node the file does not hold is an error, as OSM's own tools treat it. */
  finish(): RoadFile {
    const roads: RoadCandidate[] = []
    let degenerate = 0
    this.ways.forEach((way, index) => {
      const coordinates: [number, number][] = []
      for (const ref of way.refs) {
        const position = this.nodes.get(ref)
        if (!position) {
          this.error(
            index + 1,
            `way/${way.id}`,
            `names node ${ref}, which the file does not hold (export complete ways, e.g. osmium extract --strategy complete_ways)`,
          )
          return
        }
        const last = coordinates[coordinates.length - 1]
        if (!last || last[0] !== position[0] || last[1] !== position[1]) coordinates.push(position)
      }
      const road = roadOf(way.tags, coordinates, way.id)
      if (road) roads.push(road)
      else degenerate += 1
    })
    return { roads, addresses: this.addresses, notRoads: this.notRoads, degenerate, errors: this.errors }
  }
}

function roadOf(
  tags: Readonly<Record<string, string | undefined>>,
  coordinates: [number, number][],
  osmId: number | null,
): RoadCandidate | undefined {
  const road = classifyRoad(tags)
  if (!road || coordinates.length < 2) return undefined
  const { reversed, ...kept } = road
  const name = tags.name?.trim() || tags['name:zh']?.trim() || tags.ref?.trim() || null
  return { ...kept, osmId, name: name ? name.slice(0, 200) : null, coordinates: reversed ? coordinates.reverse() : coordinates }
}

const attribute = (attributes: Record<string, string>, name: string) => attributes[name]

/**
 * OpenStreetMap XML (.osm). Streamed through a SAX parser in chunks, yielding to the event loop between
 * them. A DOCTYPE is refused outright, and with it every entity declaration: no external entity is
 * fetched and no billion-laughs expansion can happen; an undefined entity is a parse error.
 */
export async function readOsmXml(body: Buffer | string, maxNodes: number): Promise<RoadFile> {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  const collector = new OsmCollector(maxNodes)
  const parser = new SaxesParser({ position: true })
  let failure: Error | undefined
  let sawRoot = false
  let current:
    | { kind: 'node'; id: number; lon: number; lat: number; tags: Record<string, string> }
    | { kind: 'way'; id: number; refs: number[]; tags: Record<string, string> }
    | undefined
  let elements = 0
  const fail = (message: string) => {
    failure ??= problem('body', `${message} (line ${parser.line}, column ${parser.column})`)
  }
  parser.on('error', (error) => fail(`is not well-formed OpenStreetMap XML: ${error.message.replace(/^\d+:\d+: /, '')}`))
  parser.on('doctype', () => fail('has a DOCTYPE declaration; OpenStreetMap XML has none, and entity declarations are not accepted'))
  parser.on('opentag', (tag) => {
    if (failure) return
    const attributes = tag.attributes as Record<string, string>
    elements += 1
    if (!sawRoot) {
      sawRoot = true
      if (tag.name !== 'osm') fail(`the root element is <${tag.name}>, not <osm>`)
      return
    }
    if (tag.name === 'node' || tag.name === 'way') {
      const idText = attribute(attributes, 'id') ?? ''
      if (!INTEGER.test(idText)) return fail(`<${tag.name}> has no valid id (${JSON.stringify(idText.slice(0, 30))})`)
      if (attribute(attributes, 'visible') === 'false' || attribute(attributes, 'action') === 'delete') return
      const id = Number(idText)
      if (tag.name === 'way') current = { kind: 'way', id, refs: [], tags: {} }
      else {
        const lon = attribute(attributes, 'lon') ?? ''
        const lat = attribute(attributes, 'lat') ?? ''
        current = {
          kind: 'node',
          id,
          lon: DECIMAL.test(lon) ? Number(lon) : Number.NaN,
          lat: DECIMAL.test(lat) ? Number(lat) : Number.NaN,
          tags: {},
        }
      }
    } else if (tag.name === 'nd' && current?.kind === 'way') {
      const ref = attribute(attributes, 'ref') ?? ''
      if (!INTEGER.test(ref)) return fail(`<nd> of way ${current.id} has no valid ref (${JSON.stringify(ref.slice(0, 30))})`)
      current.refs.push(Number(ref))
    } else if (tag.name === 'tag' && current) {
      const key = attribute(attributes, 'k')
      if (key !== undefined) current.tags[key] = attribute(attributes, 'v') ?? ''
    }
  })
  parser.on('closetag', (tag) => {
    if (failure || !current || tag.name !== current.kind) return
    const done = current
    current = undefined
    try {
      if (done.kind === 'node') collector.node(done.id, done.lon, done.lat, done.tags)
      else collector.way(done.id, done.refs, done.tags)
    } catch (error) {
      failure = error as Error
    }
  })
  for (let offset = 0; offset < text.length && !failure; offset += CHUNK_BYTES) {
    parser.write(text.slice(offset, offset + CHUNK_BYTES))
    await yieldToEventLoop()
  }
  if (!failure) parser.close()
  if (failure) throw failure
  if (elements === 0) throw problem('body', 'is empty; expected OpenStreetMap XML (<osm> … </osm>)')
  return collector.finish()
}

interface PbfEntity {
  type?: string
  id?: number
  lat?: number
  lon?: number
  refs?: number[]
  tags?: Record<string, string>
  required_features?: string[]
}

/** The PBF decoder throws from inside its transform on a malformed block; as a stream error it reaches the reader instead. */
class CheckedOsmTransform extends OSMTransform {
  override _transform(chunk: Buffer, encoding: BufferEncoding, next: (error?: Error | null) => void): void {
    try {
      super._transform(chunk, encoding, next)
    } catch (error) {
      next(error as Error)
    }
  }
}

/** OpenStreetMap PBF (.osm.pbf), decoded block by block, yielding to the event loop between blocks. */
export async function readOsmPbf(body: Buffer, maxNodes: number): Promise<RoadFile> {
  const collector = new OsmCollector(maxNodes)
  let blocks = 0
  let sawHeader = false
  try {
    const stream = Readable.from(chunksOf(body)).pipe(new CheckedOsmTransform({ withTags: true, withInfo: false }))
    for await (const batch of stream as AsyncIterable<PbfEntity[]>) {
      blocks += 1
      for (const entity of batch) {
        if (entity.required_features) sawHeader = true
        else if (entity.type === 'node') collector.node(entity.id!, entity.lon!, entity.lat!, entity.tags)
        else if (entity.type === 'way') collector.way(entity.id!, entity.refs ?? [], entity.tags ?? {})
      }
      await yieldToEventLoop()
    }
  } catch (error) {
    if (error instanceof AppError) throw error
    throw problem('body', `is not a valid OpenStreetMap PBF file: ${(error as Error).message.slice(0, 200)}`)
  }
  if (!sawHeader || blocks === 0) throw problem('body', 'is not an OpenStreetMap PBF file (no OSMHeader block)')
  return collector.finish()
}

function* chunksOf(buffer: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += CHUNK_BYTES) yield buffer.subarray(offset, offset + CHUNK_BYTES)
}

const ROAD_TAGS = [
  'highway',
  'name',
  'ref',
  'foot',
  'access',
  'motor_vehicle',
  'motorcar',
  'vehicle',
  'oneway',
  'junction',
  'area',
] as const

/**
 * GeoJSON FeatureCollection of LineString and MultiLineString features (each part a road). Properties are
 * OSM tags (`highway` or `kind`, `name`, `foot`, `access`, `motor_vehicle`, `oneway`, …); `walkable` and
 * `drivable` booleans override what the tags imply. Positions are converted from `crs` to WGS84.
 */
export function readRoadGeoJson(body: unknown, crs: CrsName): RoadFile {
  const features = (body as { type?: unknown; features?: unknown })?.features
  if ((body as { type?: unknown })?.type !== 'FeatureCollection' || !Array.isArray(features))
    throw problem('body', 'must be a GeoJSON FeatureCollection with a features array')
  if (features.length > MAX_WAYS) throw tooLarge('features', MAX_WAYS)
  const file: RoadFile = { roads: [], addresses: [], notRoads: 0, degenerate: 0, errors: [] }
  features.forEach((feature: unknown, index) => {
    const row = index + 1
    const at = `features/${index}`
    const error = (field: string, message: string) => {
      if (file.errors.length < MAX_ERRORS) file.errors.push({ row, field: `${at}/${field}`, message })
    }
    const f = feature as { type?: unknown; properties?: unknown; geometry?: { type?: unknown; coordinates?: unknown } }
    if (f?.type !== 'Feature') return error('type', 'must be "Feature"')
    const properties = (f.properties ?? {}) as Record<string, unknown>
    if (typeof properties !== 'object' || Array.isArray(properties)) return error('properties', 'must be an object')
    const tags: Record<string, string> = {}
    for (const key of ROAD_TAGS) if (typeof properties[key] === 'string') tags[key] = properties[key]
    if (!tags.highway && typeof properties.kind === 'string') tags.highway = properties.kind
    const overrides: Partial<Record<'walkable' | 'drivable', boolean>> = {}
    for (const key of ['walkable', 'drivable'] as const) {
      const value = properties[key]
      if (value === undefined || value === null) continue
      if (typeof value !== 'boolean') return error(`properties/${key}`, 'must be true or false')
      overrides[key] = value
    }
    if (!classifyRoad(tags)) {
      file.notRoads += 1
      return
    }
    const geometry = f.geometry
    const parts =
      geometry?.type === 'LineString' ? [geometry.coordinates] : geometry?.type === 'MultiLineString' ? geometry.coordinates : undefined
    if (!Array.isArray(parts)) return error('geometry', 'must be a LineString or MultiLineString')
    const lines: [number, number][][] = []
    for (const [p, part] of parts.entries()) {
      const field = geometry?.type === 'LineString' ? 'geometry/coordinates' : `geometry/coordinates/${p}`
      const read = readLine(part, field, crs)
      if ('problem' in read) return error(read.problem.field, read.problem.message)
      lines.push(read.line)
    }
    const osmId = typeof properties.osmId === 'number' && Number.isSafeInteger(properties.osmId) ? properties.osmId : null
    for (const line of lines) {
      const road = roadOf(tags, line, osmId)
      if (road) file.roads.push({ ...road, ...overrides, ...(overrides.drivable === false ? { oneway: false } : {}) })
      else file.degenerate += 1
    }
  })
  return file
}

/**
 * One line's positions: [lon, lat] finite and in range, converted from `crs` to WGS84, repeated positions
 * dropped; or the first problem, its field under `field`.
 */
export function readLine(
  part: unknown,
  field: string,
  crs: CrsName,
): { line: [number, number][] } | { problem: { field: string; message: string } } {
  if (!Array.isArray(part) || part.length < 2) return { problem: { field, message: 'must hold at least two positions' } }
  if (part.length > MAX_WAY_NODES * 5) return { problem: { field, message: `has ${part.length} positions; at most ${MAX_WAY_NODES * 5}` } }
  const line: [number, number][] = []
  for (const [i, position] of (part as unknown[]).entries()) {
    const [lon, lat] = Array.isArray(position) ? (position as unknown[]) : []
    if (
      typeof lon !== 'number' ||
      typeof lat !== 'number' ||
      !Number.isFinite(lon) ||
      !Number.isFinite(lat) ||
      Math.abs(lon) > 180 ||
      Math.abs(lat) > 90
    ) {
      return { problem: { field: `${field}/${i}`, message: 'must be [lon, lat] with finite numbers, lon in −180…180 and lat in −90…90' } }
    }
    const converted = toWgs84(lon, lat, crs)
    const last = line[line.length - 1]
    if (!last || last[0] !== converted[0] || last[1] !== converted[1]) line.push(converted)
  }
  if (line.length < 2) return { problem: { field, message: 'must hold at least two distinct positions' } }
  return { line }
}

/** Reads a road file in any of the accepted formats: raw bytes for the OpenStreetMap encodings, parsed JSON for GeoJSON. */
export async function readRoadFile(body: unknown, format: RoadFormat, crs: CrsName, maxNodes: number): Promise<RoadFile> {
  if (format === 'geojson') return readRoadGeoJson(body, crs)
  if (!Buffer.isBuffer(body))
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-type: send ${format === 'osm' ? 'OpenStreetMap XML as application/osm+xml' : 'PBF as application/vnd.openstreetmap.data+pbf'}`,
    )
  return format === 'osm' ? readOsmXml(body, maxNodes) : readOsmPbf(body, maxNodes)
}

/** The format a file name says: .osm, .osm.pbf/.pbf, else GeoJSON. */
export function roadFormatOfFileName(name: string): RoadFormat {
  const lower = name.toLowerCase()
  if (lower.endsWith('.pbf')) return 'pbf'
  if (lower.endsWith('.osm') || lower.endsWith('.xml')) return 'osm'
  return 'geojson'
}
