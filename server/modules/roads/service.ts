import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid, notFound } from '../../errors.ts'
import { connectedComponents } from '../../geo/network.ts'
import type { Actor, SignedInActor, User } from '../../schemas/auth.ts'
import type { Department } from '../../schemas/common.ts'
import type { Road, RoadCollection, RoadFormat, RoadImportResult, RoadKind, RoadQuery, UpdateRoad } from '../../schemas/roads.ts'
import { insertAddressPoints } from '../addresses/repository.ts'
import type { AddressPointRecord } from '../addresses/service.ts'
import { appendAudit } from '../audit-log/repository.ts'
import { parseBbox } from '../registry/service.ts'
import { readLine, type RoadCandidate, type RoadFile } from './read.ts'
import * as repository from './repository.ts'

/** Who keeps the road network (besides admins): the governance office that audits perimeters and the police who patrol them. */
export const ROAD_DEPARTMENTS: readonly Department[] = ['governance', 'police']

/** OpenStreetMap data is under the Open Database License; its attribution must be shown with the map. */
export const OSM_LICENCE = 'ODbL-1.0'
export const OSM_ATTRIBUTION = '© OpenStreetMap contributors'

const BATCH = 2000
const MAX_LISTED_ERRORS = 5000
/** Roads wholly farther than this from the counties' bounding box are left out (an extract is cut by a rectangle). */
const OUTSIDE_MARGIN_DEG = 0.1

export interface RoadImportOptions {
  format: RoadFormat
  source: string
  licence?: string | undefined
  attribution?: string | undefined
  replace?: boolean | undefined
  onProgress?: (done: number, total: number) => void
  /**
   * Brings what depends on the network up to date in the import's transaction: the zoning's conflicts under
   * walking rules (zones/maintenance.ts refreshWalkingConflicts). Handed in, so that the network does not
   * depend on the zoning built on it.
   */
  onNetworkChanged: (trx: Transaction<Database>) => Promise<void>
}

/** Why a user may not change the road network, or undefined when they may. */
export function roadWriteRefusal(user: User): string | undefined {
  if (user.role === 'admin') return undefined
  if (user.role === 'viewer') return 'viewers cannot change the road network'
  if (!ROAD_DEPARTMENTS.includes(user.department))
    return `the road network is kept by ${ROAD_DEPARTMENTS.join(' or ')}, not ${user.department}`
  return undefined
}

/**
 * A county-scoped keeper changes only roads that lie within their county (the line, before and after a
 * change, covered by the county's outline); a road across a county line is the city's, for unscoped users.
 * 403 naming the county otherwise.
 */
async function refuseLinesOutsideScope(
  db: Kysely<Database> | Transaction<Database>,
  user: User,
  lines: readonly (readonly [number, number][])[],
  what: string,
): Promise<void> {
  if (user.role === 'admin' || !user.countyCode) return
  const outside = await repository.linesOutsideCounty(db, user.countyCode, lines)
  if (outside.length > 0) throw new AppError('FORBIDDEN', `your scope is county ${user.countyCode}; ${what} does not lie within it`)
}

const within = (road: RoadCandidate, box: readonly [number, number, number, number]) =>
  road.coordinates.some(([lon, lat]) => lon >= box[0] && lon <= box[2] && lat >= box[1] && lat <= box[3])

/**
 * Stores the roads of a file as one import, all or nothing: any bad way or feature refuses the whole file
 * with every problem named; an import of the same source name is refused unless `replace`, which swaps its
 * roads in the same transaction. Address nodes of an OpenStreetMap file become address points.
 */
export async function importRoads(
  db: Kysely<Database>,
  file: RoadFile,
  options: RoadImportOptions,
  actor: Actor,
): Promise<RoadImportResult> {
  if (actor.user) {
    const refusal = roadWriteRefusal(actor.user)
    if (refusal) throw new AppError('FORBIDDEN', refusal)
  }
  if (file.errors.length > 0) {
    const errors = [...file.errors].sort((a, b) => a.row - b.row)
    throw new AppError(
      'IMPORT_REJECTED',
      `${errors.length} problems in the file; nothing was imported (first: ${errors[0]!.field}: ${errors[0]!.message})`,
      {
        badRows: new Set(errors.map((e) => e.row)).size,
        errors: errors.slice(0, MAX_LISTED_ERRORS),
        truncated: errors.length > MAX_LISTED_ERRORS,
      },
    )
  }
  const osm = options.format !== 'geojson'
  const licence = options.licence ?? (osm ? OSM_LICENCE : 'not stated')
  const attribution = options.attribution ?? (osm ? OSM_ATTRIBUTION : options.source)
  return db.transaction().execute(async (trx) => {
    const box = await repository.countiesExtent(trx, OUTSIDE_MARGIN_DEG)
    const roads = box ? file.roads.filter((road) => within(road, box)) : file.roads
    if (roads.length === 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `body: holds no roads within Guyuan's counties (${file.roads.length} roads outside, ${file.notRoads} ways that are not roads)`,
        {
          problems: [{ field: 'body', message: 'holds no roads within the counties' }],
        },
      )
    }
    const earlier = await repository.findSourceByName(trx, options.source)
    if (earlier && !options.replace) {
      throw new AppError(
        'DUPLICATE',
        `source: a road import named ${JSON.stringify(options.source)} exists (${earlier.roads} roads); pass replace=true to replace its roads`,
        {
          problems: [{ field: 'querystring/source', message: 'is the name of an earlier import' }],
        },
      )
    }
    const scope = actor.user && actor.user.role !== 'admin' ? actor.user.countyCode : null
    if (scope) {
      // A county-scoped keeper imports (and replaces) only roads within their county: every road outside it is named.
      const outside = new Set(
        await repository.linesOutsideCounty(
          trx,
          scope,
          roads.map((road) => road.coordinates),
        ),
      )
      if (outside.size > 0) {
        const errors = roads.flatMap((road, i) =>
          outside.has(i)
            ? [
                {
                  row: i + 1,
                  field: road.osmId === null ? `roads/${i + 1}` : `way/${road.osmId}`,
                  message: `${road.name ?? 'an unnamed road'} does not lie within county ${scope} (your scope)`,
                },
              ]
            : [],
        )
        throw new AppError(
          'FORBIDDEN',
          `your scope is county ${scope}; ${errors.length} of ${roads.length} roads do not lie within it; nothing was imported (first: ${errors[0]!.field})`,
          { badRows: errors.length, errors: errors.slice(0, MAX_LISTED_ERRORS), truncated: errors.length > MAX_LISTED_ERRORS },
        )
      }
      if (earlier && (await repository.sourceRoadsOutsideCounty(trx, earlier.id, scope)) > 0)
        throw new AppError('FORBIDDEN', `your scope is county ${scope}; the import being replaced has roads outside it`)
    }
    if (earlier) await repository.deleteSource(trx, earlier.id)
    const sourceId = await repository.insertSource(trx, {
      name: options.source,
      format: options.format,
      licence,
      attribution,
      userId: actor.user?.id ?? null,
    })
    for (let i = 0; i < roads.length; i += BATCH) {
      await repository.insertRoads(trx, sourceId, roads.slice(i, i + BATCH))
      options.onProgress?.(Math.min(i + BATCH, roads.length), roads.length)
    }
    await networkChanged(trx, { added: { sourceId }, removed: Boolean(earlier) }, options.onNetworkChanged)
    let addressPoints = 0
    for (let i = 0; i < file.addresses.length; i += BATCH) {
      const batch = file.addresses.slice(i, i + BATCH)
      const counties = await repository.countiesOfPoints(trx, batch)
      const records: AddressPointRecord[] = []
      batch.forEach((a, j) => {
        const countyCode = counties[j]
        // A county-scoped keeper's file adds the address points of their county only.
        if (countyCode && (!scope || countyCode === scope))
          records.push({
            properties: { address: a.address, countyCode, source: options.source },
            geometry: { type: 'Point', coordinates: [a.lon, a.lat] },
            sourceCrs: 'wgs84',
            demo: false,
          })
      })
      addressPoints += (await insertAddressPoints(trx, records)).length
    }
    const result: RoadImportResult = {
      sourceId,
      source: options.source,
      licence,
      attribution,
      imported: roads.length,
      replaced: earlier?.roads ?? 0,
      skipped: { notRoads: file.notRoads + file.degenerate, outside: file.roads.length - roads.length },
      addressPoints,
    }
    await appendAudit(trx, actor, {
      action: earlier ? 'replace' : 'import',
      entityType: 'road_source',
      entityId: sourceId,
      after: { ...result, format: options.format },
    })
    await repository.analyzeRoads(trx)
    return result
  })
}

/**
 * The upkeep after roads were added, changed or removed, in the caller's transaction: the graph of the added
 * roads, the vertices no road uses any more, the walk components, and what depends on the network.
 */
async function networkChanged(
  trx: Transaction<Database>,
  change: { added?: { sourceId: number } | { roadId: number }; removed: boolean },
  onNetworkChanged: RoadImportOptions['onNetworkChanged'],
): Promise<void> {
  if (change.added) await repository.insertTopology(trx, change.added)
  if (change.removed) await repository.deleteLooseVertices(trx)
  await refreshWalkComponents(trx)
  await onNetworkChanged(trx)
}

/** Labels the walkable network's connected components again (after any change of roads), in the caller's transaction. */
async function refreshWalkComponents(trx: Transaction<Database>): Promise<void> {
  const { source, target, maxVertex } = await repository.walkableEdges(trx)
  const { vertexIds, labels } = connectedComponents(source, target, maxVertex)
  await repository.writeWalkComponents(trx, vertexIds, labels)
}

const roadOf = (row: repository.RoadRow): Road => ({
  type: 'Feature',
  id: row.id,
  properties: {
    name: row.name,
    kind: row.kind as RoadKind,
    walkable: row.walkable,
    drivable: row.drivable,
    oneway: row.oneway,
    osmId: row.osm_id,
    sourceId: row.source_id,
    source: row.source,
    licence: row.licence,
    updatedAt: new Date(row.updated_at).toISOString(),
  },
  geometry: { type: 'LineString', coordinates: row.geometry.coordinates },
})

/** A page of roads, filtered by box, kind, name and import. */
export async function listRoads(db: Kysely<Database>, query: RoadQuery): Promise<RoadCollection> {
  const { rows, numberMatched } = await repository.listRoads(db, {
    bbox: parseBbox(query.bbox),
    kind: query.kind,
    q: query.q,
    sourceId: query.sourceId,
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  })
  return { type: 'FeatureCollection', numberMatched, numberReturned: rows.length, features: rows.map(roadOf) }
}

/** One road, or 404. */
export async function getRoad(db: Kysely<Database>, id: number): Promise<Road> {
  const row = await repository.findRoad(db, id)
  if (!row) throw notFound('road', id)
  return roadOf(row)
}

/**
 * Changes a road (its name, kind, who may use it, or its line) under a row lock, with its graph, the walk
 * components and the conflicts under walking rules brought up to date in the same transaction.
 */
export async function updateRoad(
  db: Kysely<Database>,
  id: number,
  change: UpdateRoad,
  actor: SignedInActor,
  onNetworkChanged: RoadImportOptions['onNetworkChanged'],
): Promise<Road> {
  const refusal = roadWriteRefusal(actor.user)
  if (refusal) throw new AppError('FORBIDDEN', refusal)
  let coordinates: [number, number][] | undefined
  if (change.geometry) {
    const read = readLine(change.geometry.coordinates, 'body/geometry/coordinates', 'wgs84')
    if ('problem' in read) throw invalid(read.problem.field, read.problem.message)
    coordinates = read.line
  }
  return db.transaction().execute(async (trx) => {
    const row = await repository.findRoad(trx, id, true)
    if (!row) throw notFound('road', id)
    const before = roadOf(row)
    const lines = [row.geometry.coordinates as [number, number][], ...(coordinates ? [coordinates] : [])]
    await refuseLinesOutsideScope(trx, actor.user, lines, coordinates ? `road ${id}, where it is or where it would go,` : `road ${id}`)
    const next = {
      name: change.name === undefined ? row.name : change.name,
      kind: change.kind ?? row.kind,
      walkable: change.walkable ?? row.walkable,
      drivable: change.drivable ?? row.drivable,
      oneway: change.oneway ?? row.oneway,
      coordinates: coordinates ?? (row.geometry.coordinates as [number, number][]),
    }
    await repository.updateRoad(trx, id, { ...next, oneway: next.drivable && next.oneway })
    await networkChanged(trx, { added: { roadId: id }, removed: true }, onNetworkChanged)
    const after = roadOf((await repository.findRoad(trx, id))!)
    await appendAudit(trx, actor, {
      action: 'update',
      entityType: 'road',
      entityId: id,
      before,
      after: { ...after, reason: change.reason },
    })
    return after
  })
}

/** Deletes a road (a closed lane, a mapping error), with the same upkeep as a change, keeping its last state in the history. */
export async function deleteRoad(
  db: Kysely<Database>,
  id: number,
  reason: string,
  actor: SignedInActor,
  onNetworkChanged: RoadImportOptions['onNetworkChanged'],
): Promise<void> {
  const refusal = roadWriteRefusal(actor.user)
  if (refusal) throw new AppError('FORBIDDEN', refusal)
  await db.transaction().execute(async (trx) => {
    const row = await repository.findRoad(trx, id, true)
    if (!row) throw notFound('road', id)
    await refuseLinesOutsideScope(trx, actor.user, [row.geometry.coordinates as [number, number][]], `road ${id}`)
    await repository.deleteRoad(trx, id)
    await networkChanged(trx, { removed: true }, onNetworkChanged)
    await appendAudit(trx, actor, { action: 'delete', entityType: 'road', entityId: id, before: { ...roadOf(row), reason } })
  })
}
