import type { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import { premisesFeature, schoolFeature, type RegistryKind } from '../registry/kinds.ts'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { adaptivePage } from '../../db/turns.ts'
import * as repository from './repository.ts'
import type { Geometry } from './wkb.ts'
import {
  buildGeoPackage,
  MAX_GEOPACKAGE_FEATURES,
  writeCsv,
  writeFlatGeobuf,
  writeGeoJson,
  type DownloadFormat,
  type Layer,
  type OutputFeature,
} from './writers.ts'

/** The most rows a page of a download reads; fewer on the embedded database (see adaptivePage). */
const PAGE = 1000

/** The attributes each register downloads with (arrays and objects as JSON). */
export const REGISTRY_LAYERS: Record<RegistryKind, Layer> = {
  schools: {
    name: 'schools',
    properties: [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'schoolType', type: 'string' },
      { name: 'countyCode', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'students', type: 'integer' },
      { name: 'staff', type: 'integer' },
      { name: 'boarding', type: 'boolean' },
      { name: 'openedOn', type: 'date' },
      { name: 'gates', type: 'json' },
      { name: 'guards', type: 'integer' },
      { name: 'doctors', type: 'integer' },
      { name: 'psychologyTeachers', type: 'integer' },
      { name: 'boardingStudents', type: 'integer' },
      { name: 'dormitories', type: 'json' },
      { name: 'alarmLinkedToPolice', type: 'boolean' },
      { name: 'urban', type: 'boolean' },
      { name: 'peakWindows', type: 'json' },
      { name: 'sourceCrs', type: 'string' },
      { name: 'version', type: 'integer' },
      { name: 'updatedAt', type: 'datetime' },
    ],
  },
  premises: {
    name: 'premises',
    geometryType: 'Point',
    properties: [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'category', type: 'string' },
      { name: 'licenceNo', type: 'string' },
      { name: 'licenceStatus', type: 'string' },
      { name: 'licensedOn', type: 'date' },
      { name: 'expiresOn', type: 'date' },
      { name: 'address', type: 'string' },
      { name: 'countyCode', type: 'string' },
      { name: 'sourceCrs', type: 'string' },
      { name: 'version', type: 'integer' },
      { name: 'updatedAt', type: 'datetime' },
    ],
  },
}

/** Every record of a register matching the filter, as WGS84 features, read a page at a time by id. */
export async function* registryFeatures(
  db: Kysely<Database>,
  kind: RegistryKind,
  filter: repository.ExportFilter,
): AsyncGenerator<OutputFeature> {
  const page = adaptivePage(100, PAGE)
  for (let after = 0; ;) {
    const size = page.size
    const started = performance.now()
    const features =
      kind === 'schools'
        ? (await repository.schoolsAfter(db, filter, after, size)).map(schoolFeature)
        : (await repository.premisesAfter(db, filter, after, size)).map(premisesFeature)
    page.took(performance.now() - started)
    for (const feature of features)
      yield { id: feature.id, properties: { id: feature.id, ...feature.properties }, geometry: feature.geometry as Geometry }
    if (features.length < size) return
    after = features[features.length - 1]!.id
    // Between pages other requests get a turn (the writers yield every few hundred features as well).
    await yieldToEventLoop()
  }
}

/**
 * A register downloaded in a format: a stream for GeoJSON, CSV and FlatGeobuf; a GeoPackage is counted
 * first (413 past MAX_GEOPACKAGE_FEATURES, suggesting FlatGeobuf) and then built whole.
 */
export async function downloadRegistry(
  db: Kysely<Database>,
  kind: RegistryKind,
  format: DownloadFormat,
  filter: repository.ExportFilter,
): Promise<Readable | Buffer> {
  const layer = REGISTRY_LAYERS[kind]
  if (format === 'gpkg') {
    const matched = await repository.countMatching(db, kind, filter)
    if (matched > MAX_GEOPACKAGE_FEATURES)
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `format: ${matched} ${kind} match; a GeoPackage download holds at most ${MAX_GEOPACKAGE_FEATURES}. Narrow the filter or download FlatGeobuf (fgb), which streams any number`,
        { problems: [{ field: 'format', message: `more than ${MAX_GEOPACKAGE_FEATURES} features for a GeoPackage` }] },
      )
    return buildGeoPackage(layer, registryFeatures(db, kind, filter))
  }
  const features = registryFeatures(db, kind, filter)
  return format === 'geojson'
    ? writeGeoJson(layer, features)
    : format === 'csv'
      ? writeCsv(layer, features)
      : writeFlatGeobuf(layer, features)
}
