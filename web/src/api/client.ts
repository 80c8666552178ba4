/**
 * Typed client for the service's HTTP API. Types come from the server's TypeBox schemas (type-only imports,
 * erased at build), so a change in the contract breaks the web build instead of the clerk's afternoon.
 */
import type { PatrolUnmet } from '../../../server/schemas/patrol-plans.ts'
import type { User } from '../../../server/schemas/auth.ts'
import type { CrsName, ErrorResponse, PremisesCategory } from '../../../server/schemas/common.ts'
import type { ErrorCode, FieldProblem } from '../../../server/schemas/error-codes.ts'
import type { DeskBoot, MapConfig } from '../../../server/schemas/map.ts'
import type { CreateDecision, CreatePermit, Permit, PermitDetail, PermitPage, PermitQuery } from '../../../server/schemas/permits.ts'
import type { Premises, School, UpdateSchool } from '../../../server/schemas/registry.ts'
import type { SearchItem, SearchResult } from '../../../server/schemas/search.ts'
import type {
  Check,
  CheckQuery,
  CheckResult,
  Conflict,
  ConflictPage,
  ConflictQuery,
  Preview,
  PreviewPremises,
  PreviewResult,
  PreviewZones,
  PreviewZonesResult,
  Rule,
  RuleQuery,
  RuleVersion,
  UpdateRule,
  UpdateRules,
} from '../../../server/schemas/zones.ts'
import type { BatchResult } from '../../../server/schemas/check-batch.ts'
import type { ApiToken, ApiTokenQuery, CreateApiToken, CreatedApiToken } from '../../../server/schemas/tokens.ts'
import type {
  Camera,
  Coverage,
  CreateGrid,
  CreateUnit,
  CreateVisit,
  EquipmentGaps,
  Grid,
  SchoolCoverage,
  Sign,
  Station,
  Unit,
  UpdateGrid,
  UpdateUnit,
  Visit,
  WeekCoverage,
} from '../../../server/schemas/police.ts'

export type {
  ApiToken,
  BatchResult,
  CreatedApiToken,
  Check,
  CheckResult,
  Conflict,
  CrsName,
  FieldProblem,
  DeskBoot,
  MapConfig,
  Permit,
  PermitDetail,
  PremisesCategory,
  Premises,
  Preview,
  PreviewPremises,
  PreviewResult,
  PreviewZonesResult,
  Rule,
  RuleVersion,
  School,
  SearchItem,
  UpdateRule,
  User,
}

/** A code from the server's catalogue, or one the client gives a failure that never reached the error handler. */
export type ClientErrorCode = ErrorCode | 'NETWORK' | `HTTP_${number}`

/** An error answered by the server (or the network), in the one shape the error handler produces. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ClientErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }

  /** The field problems listed in details.problems, if any. */
  get problems(): FieldProblem[] {
    const problems = (this.details as { problems?: unknown } | undefined)?.problems
    return Array.isArray(problems) ? (problems as FieldProblem[]) : []
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>

export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/** Listeners told when any request answers 401, so the app can return to the sign-in screen. */
const unauthorisedListeners = new Set<() => void>()
export function onUnauthorised(listener: () => void): void {
  unauthorisedListeners.add(listener)
}

/** One JSON request to the service; failures become ApiError in the error handler's shape. */
export async function request<T>(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  let response: Response
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      credentials: 'same-origin',
      headers:
        options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw new ApiError(0, 'NETWORK', (error as Error).message)
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let payload: unknown = undefined
  try {
    payload = text ? JSON.parse(text) : undefined
  } catch {
    payload = undefined
  }
  if (!response.ok) {
    const error = (payload ?? {}) as Partial<ErrorResponse>
    if (response.status === 401 && path !== '/api/auth/login') for (const listener of unauthorisedListeners) listener()
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? response.statusText, error.details)
  }
  return payload as T
}

export const api = {
  mapConfig: () => request<MapConfig>('GET', '/api/map-config'),
  tokens: (query: ApiTokenQuery = {}) => request<{ tokens: ApiToken[] }>('GET', '/api/tokens', { query }).then((r) => r.tokens),
  createToken: (body: CreateApiToken) => request<CreatedApiToken>('POST', '/api/tokens', { body }),
  revokeToken: (id: number) => request<{ token: ApiToken }>('DELETE', `/api/tokens/${id}`).then((r) => r.token),
  me: () => request<{ user: User }>('GET', '/api/auth/me').then((r) => r.user),
  login: (username: string, password: string) =>
    request<{ user: User }>('POST', '/api/auth/login', { body: { username, password } }).then((r) => r.user),
  logout: () => request<void>('POST', '/api/auth/logout'),
  check: (body: Check, signal?: AbortSignal) => request<CheckResult>('POST', '/api/check', { body, signal }),
  search: (q: string, near?: [number, number], signal?: AbortSignal) =>
    request<SearchResult>('GET', '/api/search', {
      query: { q, limit: 8, near: near ? near.map((n) => n.toFixed(5)).join(',') : undefined },
      signal,
    }).then((r) => r.items),
  permits: (query: PermitQuery, signal?: AbortSignal) => request<PermitPage>('GET', '/api/permits', { query: query as Query, signal }),
  permit: (id: number) => request<PermitDetail>('GET', `/api/permits/${id}`),
  createPermit: (body: CreatePermit) => request<Permit>('POST', '/api/permits', { body }),
  decide: (id: number, body: CreateDecision) => request<Permit>('POST', `/api/permits/${id}/decision`, { body }),
  school: (id: number) => request<School>('GET', `/api/schools/${id}`),
  premises: (id: number) => request<Premises>('GET', `/api/premises/${id}`),
  schoolZone: (id: number, category?: PremisesCategory) =>
    request<GeoJSON.FeatureCollection>('GET', `/api/schools/${id}/zone`, { query: { category } }),
  conflicts: (query: ConflictQuery) => request<ConflictPage>('GET', '/api/conflicts', { query }),
  rules: (query: RuleQuery = {}) => request<{ rules: Rule[] }>('GET', '/api/rules', { query }).then((r) => r.rules),
  rule: (id: number) => request<{ rule: Rule; versions: RuleVersion[] }>('GET', `/api/rules/${id}`),
  updateRule: (id: number, body: UpdateRule) => request<Rule>('PUT', `/api/rules/${id}`, { body }),
  updateRules: (body: UpdateRules) => request<{ rules: Rule[] }>('POST', '/api/rules/changes', { body }).then((r) => r.rules),
  previewRules: (body: Preview, signal?: AbortSignal) => request<PreviewResult>('POST', '/api/rules/preview', { body, signal }),
  previewZones: (body: PreviewZones, signal?: AbortSignal) =>
    request<PreviewZonesResult>('POST', '/api/rules/preview/zones', { body, signal }),
  updateSchoolGeometry: (id: number, geometry: GeoJSON.Polygon | GeoJSON.MultiPolygon, version: number) =>
    request<School>('PATCH', `/api/schools/${id}`, { body: { geometry, version } satisfies UpdateSchool }),
}

/** URL of the one-page PDF certificate for a point (opened in a new tab, so it is a plain link). */
export function checkCertificateUrl(input: CheckQuery): string {
  return withQuery('/api/check/certificate.pdf', input)
}
export function permitCertificateUrl(id: number): string {
  return `/api/permits/${id}/certificate.pdf`
}

/**
 * POST /api/check/batch with a CSV file: the answer as it streams, each line handed to `onLines` as soon as it
 * has arrived (fetch + ReadableStream, so a 100,000-point batch shows progress and nothing waits for the end).
 * With `accept` set to CSV or XLSX the whole file comes back as a Blob instead.
 */
export async function checkBatchCsv(
  file: Blob,
  query: { category?: PremisesCategory; crs?: CrsName },
  options: { signal?: AbortSignal; onLines?: (lines: BatchResult[]) => void; accept?: string } = {},
): Promise<Blob | undefined> {
  let response: Response
  try {
    response = await fetch(withQuery('/api/check/batch', query), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'text/csv', accept: options.accept ?? 'application/x-ndjson' },
      body: file,
      signal: options.signal,
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw new ApiError(0, 'NETWORK', (error as Error).message)
  }
  if (!response.ok) {
    let payload: Partial<ErrorResponse> = {}
    try {
      payload = (await response.json()) as Partial<ErrorResponse>
    } catch {
      payload = {}
    }
    if (response.status === 401) for (const listener of unauthorisedListeners) listener()
    throw new ApiError(response.status, payload.code ?? `HTTP_${response.status}`, payload.message ?? response.statusText, payload.details)
  }
  if (options.accept && options.accept !== 'application/x-ndjson') return response.blob()
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let pending = ''
  for (;;) {
    const { done, value } = await reader.read()
    pending += decoder.decode(value, { stream: !done })
    const cut = pending.lastIndexOf('\n')
    if (cut >= 0) {
      options.onLines?.(
        pending
          .slice(0, cut)
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as BatchResult),
      )
      pending = pending.slice(cut + 1)
    }
    if (done) break
  }
  if (pending.trim()) throw new ApiError(0, 'NETWORK', 'the answer was cut off before its end')
  return undefined
}

// ---- the police desk: registry, plans, check-ins and coverage

/** A stop of a unit's day, as the plan endpoints answer it (times ISO 8601 with +08:00). */
export interface PatrolStop {
  kind: 'post' | 'visit'
  schoolId: number
  gate?: number
  /** Where the stop is (WGS 84): the gate, or a point of the campus for a school without gates. */
  lon: number
  lat: number
  arriveAt: string
  departAt: string
}
/** A daily plan (POST/GET /api/patrol/plans): each unit's stops and its route along the roads. */
export interface PatrolPlan {
  id: number
  date: string
  countyCode: string | null
  stationId: number | null
  policyVersion: number
  units: { unitId: number; name: string; mode: 'car' | 'foot'; stops: PatrolStop[]; route: GeoJSON.Geometry | null; lengthM: number }[]
  schools: { schoolId: number; urban: boolean; required: number; planned: number }[]
  unmet: PatrolUnmet[]
  lengthM: number
  lowerBoundM: number
  nearestNeighbourM: number | null
  createdAt: string
}
export interface PatrolPlanPage {
  numberMatched: number
  plans: { id: number; date: string; countyCode: string | null; stationId: number | null; createdAt: string }[]
}
type Collection<F> = { type: 'FeatureCollection'; features: F[]; numberMatched?: number }
type PatrolScope = { countyCode?: string | undefined; stationId?: number | undefined }

export type { Camera, Coverage, EquipmentGaps, Grid, SchoolCoverage, Sign, Station, Unit, Visit, WeekCoverage }

export const patrolApi = {
  stations: (query: PatrolScope) =>
    request<Collection<Station>>('GET', '/api/patrol/stations', { query: { ...query, limit: 1000 } }).then((c) => c.features),
  grids: (query: PatrolScope) =>
    request<Collection<Grid>>('GET', '/api/patrol/grids', { query: { ...query, limit: 1000 } }).then((c) => c.features),
  units: (query: PatrolScope) =>
    request<Collection<Unit>>('GET', '/api/patrol/units', { query: { ...query, limit: 1000 } }).then((c) => c.features),
  signs: (query: PatrolScope) =>
    request<Collection<Sign>>('GET', '/api/patrol/signs', { query: { ...query, limit: 1000 } }).then((c) => c.features),
  cameras: (query: PatrolScope) =>
    request<Collection<Camera>>('GET', '/api/patrol/cameras', { query: { ...query, limit: 1000 } }).then((c) => c.features),
  createUnit: (body: CreateUnit) => request<Unit>('POST', '/api/patrol/units', { body }),
  updateUnit: (id: number, body: UpdateUnit) => request<Unit>('PATCH', `/api/patrol/units/${id}`, { body }),
  createGrid: (body: CreateGrid) => request<Grid>('POST', '/api/patrol/grids', { body }),
  updateGrid: (id: number, body: UpdateGrid) => request<Grid>('PATCH', `/api/patrol/grids/${id}`, { body }),
  coverage: (query: PatrolScope & { date: string }) => request<Coverage>('GET', '/api/patrol/coverage', { query }),
  week: (query: PatrolScope & { start: string }) => request<WeekCoverage>('GET', '/api/patrol/coverage/week', { query }),
  equipmentGaps: (countyCode?: string) => request<EquipmentGaps>('GET', '/api/patrol/equipment-gaps', { query: { countyCode } }),
  checkIn: (body: CreateVisit) => request<Visit>('POST', '/api/patrol/visits', { body }),
  plans: (query: PatrolScope & { date: string; limit?: number }) => request<PatrolPlanPage>('GET', '/api/patrol/plans', { query }),
  plan: (id: number) => request<PatrolPlan>('GET', `/api/patrol/plans/${id}`),
  createPlan: (body: PatrolScope & { date: string }) => request<PatrolPlan>('POST', '/api/patrol/plans', { body }),
  /** The campuses and gates of a county's schools, where the plan's stops are drawn. */
  schools: (countyCode: string) =>
    request<Collection<School>>('GET', '/api/schools', { query: { countyCode, limit: 1000 } }).then((c) => c.features),
}

/** A unit's day as GPX 1.1 or its one-page route sheet (plain links: the browser downloads them with the session cookie). */
export function patrolUnitExportUrl(planId: number, unitId: number, format: 'gpx' | 'pdf'): string {
  return `/api/patrol/plans/${planId}/units/${unitId}.${format}`
}
