/**
 * The OpenAPI 3.0 definition of the OGC API (the landing page's service-desc). Each collection's items
 * path lists its own parameters, one per queryable, which is where GDAL looks for the properties it may
 * filter on server-side.
 */
import type { User } from '../../schemas/auth.ts'
import type { Collection, CollectionProperty } from './collections.ts'
import { FILTER_CRS_URIS } from './cql2/compile.ts'
import { FILTER_LANGUAGES } from './cql2/conformance.ts'
import { SUPPORTED_CRS } from './crs.ts'
import { DEFAULT_LIMIT, MAX_LIMIT } from './query.ts'
import { visibleCollections } from './service.ts'

const json = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
})
const geojson = (description: string) => ({ description, content: { 'application/geo+json': { schema: { type: 'object' } } } })
const errors = {
  '400': json('a parameter or the body is not valid; the message names it'),
  '401': json('sign in first'),
  '404': json('no such collection or feature'),
}

const schemaOf = (p: CollectionProperty) =>
  p.type === 'date'
    ? { type: 'string', format: 'date' }
    : p.type === 'date-time'
      ? { type: 'string', format: 'date-time' }
      : p.type === 'json'
        ? {}
        : { type: p.type, ...(p.enum ? { enum: [...p.enum] } : {}) }

const crsValues = SUPPORTED_CRS.map((c) => c.uri)

const common = {
  limit: {
    name: 'limit',
    in: 'query',
    required: false,
    description: `features per page (default ${DEFAULT_LIMIT})`,
    style: 'form',
    explode: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  },
  bbox: {
    name: 'bbox',
    in: 'query',
    required: false,
    description: 'lower and upper corner (4 or 6 numbers) in bbox-crs (default CRS84 longitude, latitude)',
    style: 'form',
    explode: false,
    schema: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
  },
  'bbox-crs': { name: 'bbox-crs', in: 'query', required: false, schema: { type: 'string', format: 'uri', enum: crsValues } },
  crs: { name: 'crs', in: 'query', required: false, schema: { type: 'string', format: 'uri', enum: crsValues } },
  datetime: {
    name: 'datetime',
    in: 'query',
    required: false,
    description: 'an instant or an interval start/end (.. for an open end) on the temporal property',
    schema: { type: 'string' },
  },
  filter: {
    name: 'filter',
    in: 'query',
    required: false,
    description: 'a CQL2 filter on the queryables and `geometry` (OGC API – Features Part 3), in filter-lang',
    schema: { type: 'string' },
  },
  // GDAL up to 3.6 sends its -where as a filter when this enumeration lists cql-text.
  'filter-lang': {
    name: 'filter-lang',
    in: 'query',
    required: false,
    description: 'cql2-text (default), cql2-json, or cql-text (the older text GDAL ≤ 3.6 sends)',
    schema: { type: 'string', enum: [...FILTER_LANGUAGES], default: 'cql2-text' },
  },
  'filter-crs': {
    name: 'filter-crs',
    in: 'query',
    required: false,
    description: 'the CRS of the geometries in filter (default CRS84), positions in its axis order',
    schema: { type: 'string', format: 'uri', enum: [...FILTER_CRS_URIS] },
  },
  cursor: {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'paging cursor from a next or prev link (keyset paging on the feature id)',
    schema: { type: 'string' },
  },
}

// f=csv|fgb|gpkg: the whole filtered collection as a file (server/modules/formats/ogc-downloads.ts).
const downloadParameter = {
  name: 'f',
  in: 'query',
  required: false,
  description:
    'json: GeoJSON pages (default); csv, fgb (FlatGeobuf), gpkg (GeoPackage): every matching feature as a file, without limit and cursor',
  schema: { type: 'string', enum: ['json', 'csv', 'fgb', 'gpkg'] },
}

function itemsParameters(collection: Collection) {
  const parameters: unknown[] = [
    common.limit,
    common.bbox,
    common['bbox-crs'],
    common.crs,
    common.cursor,
    common.filter,
    common['filter-lang'],
    common['filter-crs'],
    downloadParameter,
  ]
  if (collection.temporal) parameters.push(common.datetime)
  for (const p of collection.properties.filter((p) => p.queryable))
    parameters.push({
      name: p.name,
      in: 'query',
      required: false,
      description: `features whose ${p.name} equals this`,
      schema: schemaOf(p),
    })
  return parameters
}

const featureIdParameter = { name: 'featureId', in: 'path', required: true, schema: { type: 'string' } }

function collectionPaths(collection: Collection): Record<string, unknown> {
  const base = `/collections/${collection.id}`
  const paths: Record<string, Record<string, unknown>> = {
    [base]: {
      get: { operationId: `describe_${collection.id}`, summary: collection.title, responses: { '200': json('the collection'), ...errors } },
    },
    [`${base}/queryables`]: {
      get: {
        operationId: `queryables_${collection.id}`,
        summary: `queryables of ${collection.id}`,
        responses: { '200': json('JSON Schema'), ...errors },
      },
    },
    [`${base}/items`]: {
      get: {
        operationId: `items_${collection.id}`,
        summary: `features of ${collection.title}`,
        parameters: itemsParameters(collection),
        responses: { '200': geojson('a page of features'), ...errors },
      },
    },
    [`${base}/items/{featureId}`]: {
      get: {
        operationId: `item_${collection.id}`,
        summary: `one feature of ${collection.id}`,
        parameters: [featureIdParameter, common.crs],
        responses: { '200': geojson('the feature'), ...errors },
      },
    },
  }
  if (collection.writable) {
    const body = {
      required: true,
      content: { 'application/geo+json': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object' } } },
    }
    const conditional = [
      {
        name: 'If-Match',
        in: 'header',
        required: false,
        schema: { type: 'string' },
        description: 'the ETag of the feature as read (required, or If-Unmodified-Since)',
      },
      { name: 'Content-Crs', in: 'header', required: false, schema: { type: 'string' } },
    ]
    paths[`${base}/items`]!.post = {
      operationId: `create_${collection.id}`,
      summary: `add a feature to ${collection.id}`,
      requestBody: body,
      parameters: [conditional[1]],
      responses: { '201': { description: 'created; Location names it' }, ...errors },
    }
    const item = paths[`${base}/items/{featureId}`]!
    item.put = {
      operationId: `replace_${collection.id}`,
      parameters: [featureIdParameter, ...conditional],
      requestBody: body,
      responses: { '200': geojson('replaced'), '412': json('stale'), '428': json('If-Match missing'), ...errors },
    }
    item.patch = {
      operationId: `update_${collection.id}`,
      parameters: [featureIdParameter, ...conditional],
      requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { type: 'object' } } } },
      responses: { '200': geojson('updated'), '412': json('stale'), '428': json('If-Match missing'), ...errors },
    }
    item.delete = {
      operationId: `delete_${collection.id}`,
      parameters: [featureIdParameter, conditional[0]],
      responses: { '204': { description: 'deleted' }, '412': json('stale'), '428': json('If-Match missing'), ...errors },
    }
  }
  return paths
}

/** The OpenAPI 3.0 document, listing the collections the user sees. */
export function openApi(base: string, user: User | null) {
  const paths: Record<string, unknown> = {
    '/': {
      get: {
        operationId: 'landing',
        summary: 'landing page',
        responses: { '200': json('links to the API definition, conformance and data') },
      },
    },
    '/conformance': { get: { operationId: 'conformance', summary: 'conformance classes', responses: { '200': json('conformsTo') } } },
    '/api': { get: { operationId: 'api', summary: 'this document', responses: { '200': json('OpenAPI 3.0') } } },
    '/collections': { get: { operationId: 'collections', summary: 'the collections', responses: { '200': json('collections') } } },
  }
  for (const collection of visibleCollections(user)) Object.assign(paths, collectionPaths(collection))
  return {
    openapi: '3.0.3',
    info: {
      title: '固原市校园安全区域 OGC API – Features',
      version: '1.0.0',
      description:
        'OGC API – Features Part 1 (core, GeoJSON, OpenAPI 3.0), Part 2 (CRS) and Part 4 (create, replace, update, delete on schools and premises).',
    },
    servers: [{ url: base }],
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'sid' } } },
    security: [{ session: [] }, {}],
    paths,
  }
}
