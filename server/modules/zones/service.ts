import type { Kysely, Transaction } from 'kysely'
import type { Static } from 'typebox'
import type { Database } from '../../db/types.ts'
import { AppError, notFound, type FieldProblem } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import type { User } from '../../schemas/auth.ts'
import type { CrsName, PremisesCategory, SchoolType } from '../../schemas/common.ts'
import { PREVIEW_PREMISES_MAX, PREVIEW_ZONES_MAX_SCHOOLS, PREVIEW_ZONES_MAX_SPAN_DEG } from '../../schemas/zones.ts'
import type {
  Band,
  Check,
  CheckResult,
  Conflict,
  ConflictDetail,
  ConflictPageSchema,
  NearestSchool,
  ConflictQuery,
  Preview,
  PreviewResult,
  PreviewZones,
  PreviewZonesResult,
  Rule,
  RuleQuery,
  RuleVersionSchema,
  UpdateRule,
  UpdateRules,
} from '../../schemas/zones.ts'
import { appendAudit } from '../audit-log/repository.ts'
import type { Actor } from '../../schemas/auth.ts'
import { refreshForRule } from './maintenance.ts'
import { measureWalking, NO_GATES_NOTE, walkingNetworkAround, type WalkingMeasure, type WalkingOptions } from '../roads/walking.ts'
import * as repository from './repository.ts'
import { turnTaker } from '../../db/turns.ts'
import { PairList } from './pair-list.ts'
import type { GeoJsonGeometry, RuleRow } from './repository.ts'

type ConflictPage = Static<typeof ConflictPageSchema>
type RuleVersion = Static<typeof RuleVersionSchema>

/** One feature of GET /api/schools/{id}/zone: a shape's outline at the limit, or one of its bands. */
export interface ZoneFeature {
  type: 'Feature'
  properties: {
    kind: 'zone' | 'band'
    band?: string
    fromM?: number
    toM?: number
    schoolId: number
    limitM: number
    origin: 'campus' | 'gates'
    categories: string[]
    ruleIds: number[]
  }
  geometry: GeoJsonGeometry
}
export interface ZoneCollection {
  type: 'FeatureCollection'
  features: ZoneFeature[]
}

/** Distances are reported to 0.1 m, the precision licensing records use. */
export const round1 = (metres: number) => Math.round(metres * 10) / 10

/** Bands as the API shows them, from the stored names and inner edges. */
export function bandsOf(names: readonly string[], edges: readonly number[], limitM: number): Band[] {
  const bounds = [0, ...edges, limitM]
  return names.map((name, i) => ({ name, fromM: bounds[i]!, toM: bounds[i + 1]! }))
}

/** The band a distance falls in: [fromM, toM), the last band closed at the limit. */
export function bandAt(names: readonly string[], edges: readonly number[], distanceM: number): string {
  return names[edges.filter((edge) => edge <= distanceM).length]!
}

export function ruleOf(row: RuleRow): Rule {
  return {
    id: row.id,
    category: row.category as PremisesCategory,
    schoolType: row.school_type as SchoolType,
    limitM: row.limit_m,
    origin: row.origin as Rule['origin'],
    path: row.path as Rule['path'],
    bands: bandsOf(row.band_names, row.band_edges, row.limit_m),
    legalBasis: row.legal_basis,
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
    inForce: row.in_force,
    version: row.version,
    updatedAt: new Date(row.updated_at).toISOString(),
  }
}

/**
 * Checks bands: sorted, starting at 0, each starting where the previous ended, the last ending at
 * the limit, names unique. Returns names and inner edges, or the problems with their fields.
 */
export function checkBands(
  bands: readonly Band[],
  limitM: number,
  field = 'body/bands',
): { names: string[]; edges: number[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = []
  const names = bands.map((b) => b.name)
  bands.forEach((band, i) => {
    const expectedFrom = i === 0 ? 0 : bands[i - 1]!.toM
    if (band.fromM !== expectedFrom)
      problems.push({
        field: `${field}/${i}/fromM`,
        message:
          i === 0
            ? 'the first band must start at 0'
            : `must equal the previous band's toM (${expectedFrom}); bands may not overlap or leave gaps`,
      })
    if (!(band.toM > band.fromM)) problems.push({ field: `${field}/${i}/toM`, message: `must be greater than fromM (${band.fromM})` })
    if (names.indexOf(band.name) !== i) problems.push({ field: `${field}/${i}/name`, message: `${band.name} is used twice` })
  })
  const last = bands[bands.length - 1]
  if (last && last.toM !== limitM)
    problems.push({ field: `${field}/${bands.length - 1}/toM`, message: `the last band must end at the limit (${limitM} m)` })
  return { names, edges: bands.slice(0, -1).map((b) => b.toM), problems }
}

/** Keeps the inner band edges that still fit under a new limit. */
export function bandsForLimit(current: Band[], limitM: number): Band[] {
  const kept = current.filter((b) => b.fromM < limitM)
  return kept.map((b, i) => (i === kept.length - 1 ? { ...b, toM: limitM } : b))
}

/** Walking distance is measured from the gates (the shop door to the nearest gate on foot): a walking rule needs origin gates. */
const walkingNeedsGates = (field: string) =>
  new AppError('UNPROCESSABLE', `${field}: walking distance is measured from the gates; a rule with path walking needs origin gates`, {
    problems: [{ field, message: 'path walking needs origin gates' }],
  })

/** Rules, filtered. */
export async function listRules(db: Kysely<Database>, query: RuleQuery): Promise<Rule[]> {
  return (await repository.listRules(db, query)).map(ruleOf)
}

/** One rule with its version history. */
export async function getRule(db: Kysely<Database>, id: number): Promise<{ rule: Rule; versions: RuleVersion[] }> {
  const row = await repository.findRule(db, id)
  if (!row) throw notFound('rule', id)
  const versions = await repository.listRuleVersions(db, id)
  return {
    rule: ruleOf(row),
    versions: versions.map((v) => ({
      version: v.version,
      snapshot: v.snapshot,
      reason: v.reason,
      changedBy: v.changed_by_name,
      changedAt: new Date(v.changed_at).toISOString(),
    })),
  }
}

/**
 * Changes a rule as a new version (who, when, why) and brings the conflicts it governs up to date
 * in the same transaction.
 */
export async function updateRule(db: Kysely<Database>, id: number, change: UpdateRule, actor: Actor & { user: User }): Promise<Rule> {
  return db.transaction().execute((trx) => applyRuleChange(trx, id, change, actor, { fields: 'body', version: 'version' }))
}

/**
 * Applies one change to several rules (say every school type of a category) in one transaction: each becomes a
 * new version with the same reason, its conflicts and zones follow, and a stale version or a problem with any of
 * them leaves all as they were. Rows are locked in id order, so two such changes cannot deadlock.
 */
export async function updateRules(db: Kysely<Database>, input: UpdateRules, actor: Actor & { user: User }): Promise<Rule[]> {
  const seen = new Map<number, number>()
  input.rules.forEach((rule, i) => {
    if (seen.has(rule.id))
      throw new AppError('VALIDATION_FAILED', `body/rules/${i}/id: rule ${rule.id} is listed twice`, {
        problems: [{ field: `body/rules/${i}/id`, message: `rule ${rule.id} is listed twice (also at ${seen.get(rule.id)})` }],
      })
    seen.set(rule.id, i)
  })
  const ordered = input.rules.map((rule, i) => ({ ...rule, i })).sort((a, b) => a.id - b.id)
  return db.transaction().execute(async (trx) => {
    const saved: Rule[] = []
    for (const rule of ordered)
      saved.push(
        await applyRuleChange(trx, rule.id, { ...input.change, version: rule.version }, actor, {
          fields: 'body/change',
          version: `body/rules/${rule.i}/version`,
        }),
      )
    return saved
  })
}

/** One rule change inside the caller's transaction; `names` says how problems name the fields and the version. */
async function applyRuleChange(
  trx: Transaction<Database>,
  id: number,
  change: UpdateRule,
  actor: Actor & { user: User },
  names: { fields: string; version: string },
): Promise<Rule> {
  const row = await repository.findRule(trx, id, true)
  if (!row) throw notFound('rule', id)
  const before = ruleOf(row)
  if (change.version !== undefined && change.version !== before.version) {
    throw new AppError(
      'VERSION_CONFLICT',
      `${names.version}: rule ${id} is at version ${before.version}, not ${change.version}; reload it and apply your change again`,
    )
  }
  const limitM = change.limitM ?? before.limitM
  const bands = change.bands ?? bandsForLimit(before.bands, limitM)
  const { names: bandNames, edges, problems } = checkBands(bands, limitM, `${names.fields}/bands`)
  const effectiveFrom = change.effectiveFrom ?? before.effectiveFrom
  const effectiveTo = change.effectiveTo === undefined ? before.effectiveTo : change.effectiveTo
  if (effectiveTo !== null && effectiveTo <= effectiveFrom)
    problems.push({ field: `${names.fields}/effectiveTo`, message: `must be after effectiveFrom (${effectiveFrom})` })
  const path = change.path ?? before.path
  const origin = change.origin ?? before.origin
  if (path === 'walking' && origin !== 'gates') throw walkingNeedsGates(`${names.fields}/${change.path === 'walking' ? 'path' : 'origin'}`)
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })
  await repository.updateRule(
    trx,
    id,
    {
      limitM,
      origin,
      path,
      bandNames,
      bandEdges: edges,
      legalBasis: change.legalBasis ?? before.legalBasis,
      effectiveFrom,
      effectiveTo,
    },
    actor.user.id,
  )
  await repository.insertRuleVersion(trx, id, change.reason, actor.user)
  await refreshForRule(trx, row.category, row.school_type)
  const after = ruleOf((await repository.findRule(trx, id))!)
  await appendAudit(trx, actor, {
    action: 'update',
    entityType: 'rule',
    entityId: id,
    before,
    after: { ...after, reason: change.reason },
  })
  return after
}

/** Each query of the preview aims at this long, so that no one query holds the embedded database (or a server connection) for long. */
const PREVIEW_STEP_MS = 40
/**
 * …and at most about this many pairs: a result is handed over in one piece (the embedded database's thread posts it
 * whole; pg builds its rows as they arrive), and 10,000 pairs are a few milliseconds of the service's thread.
 */
const PREVIEW_STEP_ROWS = 10_000
/** The preview's loops give other requests a turn this often: a slice of 15 ms on a quiet machine is 40 ms on a loaded one. */
const PREVIEW_SLICE_MS = 8

/**
 * The proposal's pairs, found over the schools in ranges of ids whose size adapts to how long the last range took
 * and how many pairs it found: a proposal over a whole province at 5,000 m is many short queries with the event loop
 * (and on the embedded database the one connection) free between them, rather than one query of a minute.
 */
async function pairsInSteps(db: Kysely<Database>, list: repository.ProposedRule[]): Promise<PairList> {
  const ids = await repository.schoolIdsOfTypes(db, [...new Set(list.map((o) => o.schoolType))])
  const pairs = new PairList()
  let size = 8
  for (let i = 0; i < ids.length;) {
    const last = Math.min(ids.length, i + size) - 1
    const started = performance.now()
    const found = await repository.proposedPairs(db, list, { fromId: ids[i]!, toId: ids[last]! })
    const took = performance.now() - started
    for (const pair of found) pairs.push(pair.premises_id, pair.school_id, pair.band)
    i = last + 1
    const factor = Math.min(PREVIEW_STEP_MS / Math.max(took, 1), PREVIEW_STEP_ROWS / Math.max(found.length, 1))
    size = Math.max(1, Math.min(4000, Math.round(size * Math.min(4, Math.max(0.25, factor)))))
    await new Promise((resolve) => setImmediate(resolve))
  }
  return pairs
}

/** The stored conflicts of these categories, page by page; marked 1 where `governed` holds of the pair's rule. */
async function storedPairs(
  db: Kysely<Database>,
  categories: readonly string[],
  governed: (category: string, schoolType: string) => boolean,
  premises: Map<number, { category: string; county_code: string }>,
): Promise<PairList> {
  const pairs = new PairList()
  let after: { premisesId: number; schoolId: number } | null = null
  for (;;) {
    const page = await repository.conflictsOfCategories(db, categories, after, PREVIEW_STEP_ROWS)
    for (const r of page) {
      pairs.push(r.premises_id, r.school_id, r.band, governed(r.category, r.school_type) ? 1 : 0)
      premises.set(r.premises_id, { category: r.category, county_code: r.county_code })
    }
    if (page.length < PREVIEW_STEP_ROWS) return pairs
    after = { premisesId: page.at(-1)!.premises_id, schoolId: page.at(-1)!.school_id }
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** The nearest schools a check lists (wanted), and how many the check's statement reads at most to find them. */
const NEAR_LIST = { wanted: 3, most: 13 }

/**
 * The verdict for a point and a category, measured exactly against every school in reach; the two point queries run on
 * `prepared` (the server's prepared pool, see DatabaseHandle.prepared) when given.
 */
export async function check(db: Kysely<Database>, input: Check, prepared: Kysely<Database> = db): Promise<CheckResult> {
  const crs: CrsName = input.crs ?? 'wgs84'
  const [lon, lat] = toWgs84(input.lon, input.lat, crs)
  // The measurement and the nearest schools in one statement (one round trip); the nearest list drops the conflicting
  // schools afterwards. Its plan is the same for every point: on the server it runs prepared, on its generic plan.
  const { measured, near, engine } = await repository.measureWithNearest(prepared, lon, lat, input.category, NEAR_LIST)
  const conflicts: ConflictDetail[] = []
  // Whether pgRouting measures the walks: the statement asked the database (walking.ts defaultEngine's question).
  const walkingEngine = () => Promise.resolve(engine)
  for (const m of measured) {
    if (m.path !== 'walking') conflicts.push(detailOf(m, m.distance_m))
    else if (!m.gates)
      conflicts.push({ ...detailOf(m, m.distance_m), path: 'walking', measuredBy: 'straight_fallback', route: null, note: NO_GATES_NOTE })
    else {
      // Within the limit of a gate in a straight line: the walk decides.
      const walk = await measureWalking(db, m.gates.coordinates, [lon, lat], { cutoffM: m.limit_m, engine: await walkingEngine() })
      if (walk.distanceM !== null && walk.distanceM <= m.limit_m) conflicts.push(walkingDetailOf(m, walk))
    }
  }
  // Walking distances can reorder the schools the straight measurement listed nearest first.
  if (conflicts.some((c) => c.path === 'walking')) conflicts.sort((a, b) => a.distanceM - b.distanceM || a.schoolId - b.schoolId)
  const conflicting = new Set(conflicts.map((c) => c.schoolId))
  // The list holds NEAR_LIST.wanted schools more than there are measured ones (at most NEAR_LIST.most): with every
  // conflicting school dropped, the wanted ones are left, unless the list was cut at NEAR_LIST.most.
  let nearest = near.filter((n) => !conflicting.has(n.school_id)).slice(0, NEAR_LIST.wanted)
  if (nearest.length < NEAR_LIST.wanted && near.length === NEAR_LIST.most)
    nearest = await repository.nearestSchools(prepared, lon, lat, input.category, NEAR_LIST.wanted, [...conflicting])
  const walk = await nearWalkOptions(db, nearest, walkingEngine)
  const nearestSchools = await Promise.all(nearest.map((n) => nearSchoolOf(db, n, [lon, lat], walk)))
  return {
    verdict: conflicts.length > 0 ? 'prohibited' : 'allowed',
    location: { lon, lat },
    input: { lon: input.lon, lat: input.lat, crs },
    crs,
    category: input.category,
    conflicts,
    nearestSchools: nearestSchools.some((n) => n.path === 'walking')
      ? nearestSchools.sort((a, b) => a.distanceM - b.distanceM || a.schoolId - b.schoolId)
      : nearestSchools,
    checkedAt: new Date().toISOString(),
  }
}

/** How far on foot the nearest schools are reported, at most (farther, the straight distance stands, and says so). */
const NEAR_WALK_REACH_M = 2000

/** How far on foot a near school's walk is searched. */
const nearWalkCutoffM = (n: repository.NearSchoolRow) => Math.max(NEAR_WALK_REACH_M, (n.limit_m ?? 0) * 2)

/**
 * The walking engine for the near schools under a walking rule, and for the service's own search one read of the
 * network around all their gates (at the farthest of their cut-offs) instead of one read per gate and school.
 */
async function nearWalkOptions(
  db: Kysely<Database>,
  nearest: readonly repository.NearSchoolRow[],
  walkingEngine: () => Promise<'service' | 'pgrouting'>,
): Promise<Pick<WalkingOptions, 'engine' | 'network'>> {
  const walking = nearest.filter((n) => n.path === 'walking' && n.gates)
  if (walking.length === 0) return {}
  const engine = await walkingEngine()
  if (engine === 'pgrouting') return { engine }
  const gates = walking.flatMap((n) => n.gates!.coordinates)
  return { engine, network: await walkingNetworkAround(db, gates, Math.max(...walking.map(nearWalkCutoffM))) }
}

/** A school near the point: under a walking rule with gates, its walking distance where the network measures it within reach. */
async function nearSchoolOf(
  db: Kysely<Database>,
  n: repository.NearSchoolRow,
  point: [number, number],
  walkOptions: Pick<WalkingOptions, 'engine' | 'network'>,
): Promise<NearestSchool> {
  const base: NearestSchool = {
    schoolId: n.school_id,
    schoolName: n.school_name,
    schoolType: n.school_type as SchoolType,
    distanceM: round1(n.distance_m),
    limitM: n.limit_m,
  }
  if (n.path !== 'walking') return base
  if (!n.gates) return { ...base, path: 'walking', measuredBy: 'straight_fallback', note: NO_GATES_NOTE }
  const walk = await measureWalking(db, n.gates.coordinates, point, { ...walkOptions, cutoffM: nearWalkCutoffM(n) })
  if (walk.distanceM === null)
    return {
      ...base,
      path: 'walking',
      measuredBy: 'straight_fallback',
      note: `more than ${NEAR_WALK_REACH_M} m on foot: the straight distance from the nearest gate is shown`,
    }
  return {
    ...base,
    distanceM: round1(walk.distanceM),
    path: 'walking',
    measuredBy: walk.measuredBy,
    ...(walk.reason ? { note: walk.reason } : {}),
  }
}

/** A conflict under a walking rule, as the walk measured it: from the gate it started at, with its route. */
function walkingDetailOf(m: repository.MeasuredRow, walk: WalkingMeasure): ConflictDetail {
  const [glon, glat] = m.gates!.coordinates[walk.gateIndex]!
  return {
    ...detailOf(m, walk.distanceM!),
    nearestPoint: { lon: glon, lat: glat },
    path: 'walking',
    straightM: round1(walk.straightM),
    measuredBy: walk.measuredBy,
    route: walk.route,
    ...(walk.reason ? { note: walk.reason } : {}),
  }
}

function detailOf(m: Omit<repository.MeasuredRow, 'gates' | 'path'>, distanceM: number, band?: string): ConflictDetail {
  const [nlon, nlat] = m.nearest.coordinates
  return {
    schoolId: m.school_id,
    schoolName: m.school_name,
    schoolType: m.school_type as SchoolType,
    countyCode: m.county_code.trim(),
    distanceM: round1(distanceM),
    limitM: m.limit_m,
    band: band ?? bandAt(m.band_names, m.band_edges, distanceM),
    origin: m.origin,
    nearestPoint: { lon: nlon, lat: nlat },
    ruleId: m.rule_id,
    ruleVersion: m.rule_version,
    legalBasis: m.legal_basis,
    ...(m.gates_missing
      ? { note: 'the rule measures from the gates, but this school has none registered: measured from the campus boundary' }
      : {}),
  }
}

/** A page of conflicts with premises, licence, school and the exact measurement. */
export async function listConflicts(db: Kysely<Database>, query: ConflictQuery): Promise<ConflictPage> {
  const { rows, numberMatched } = await repository.listConflicts(db, { ...query, limit: query.limit ?? 100, offset: query.offset ?? 0 })
  const conflicts: Conflict[] = rows.map((r) => ({
    ...detailOf({ ...r, band_names: [], band_edges: [] }, r.distance_m, r.band),
    ...(r.path === 'walking'
      ? {
          path: 'walking' as const,
          ...(r.straight_m === null ? {} : { straightM: round1(r.straight_m) }),
          measuredBy: (r.measured_by ?? 'straight_fallback') as WalkingMeasure['measuredBy'],
          route: r.route,
          ...(r.measure_note ? { note: r.measure_note } : {}),
        }
      : {}),
    premisesId: r.premises_id,
    premisesName: r.premises_name,
    category: r.category as PremisesCategory,
    licenceNo: r.licence_no,
    licenceStatus: r.licence_status,
    licensedOn: r.licensed_on,
    expiresOn: r.expires_on,
    premisesCountyCode: r.premises_county_code.trim(),
    location: { lon: r.location.coordinates[0], lat: r.location.coordinates[1] },
    preexisting: r.preexisting,
    detectedAt: new Date(r.detected_at).toISOString(),
  }))
  return { numberMatched, numberReturned: conflicts.length, conflicts }
}

/**
 * The school's zone for drawing: for each distinct rule shape (limit, origin, bands) in force for its
 * type — or the one rule of `category` — the outline at the limit and each band as a ring, as stored by
 * the zone maintenance (maintenance.ts redrawZones: 64 segments a quarter circle in a local ellipsoidal
 * frame, edges within about 2 cm of the true limit), the same shapes the map tiles draw.
 * Verdicts never use these shapes.
 */
export async function zone(db: Kysely<Database>, schoolId: number, category?: PremisesCategory): Promise<ZoneCollection> {
  const school = await repository.findSchoolForZone(db, schoolId)
  if (!school) throw notFound('school', schoolId)
  const rules = (await repository.listRules(db, { schoolType: school.school_type, category })).filter((r) => r.in_force)
  const shapes = new Map<string, { rule: RuleRow; categories: string[]; ruleIds: number[] }>()
  for (const rule of rules) {
    const key = `${rule.limit_m}|${rule.origin}|${rule.band_names.join(',')}|${rule.band_edges.join(',')}`
    const shape = shapes.get(key) ?? { rule, categories: [], ruleIds: [] }
    shape.categories.push(rule.category)
    shape.ruleIds.push(rule.id)
    shapes.set(key, shape)
  }
  const features: ZoneFeature[] = []
  for (const { rule, categories, ruleIds } of shapes.values()) {
    const origin = rule.origin === 'gates' && school.has_gates ? ('gates' as const) : ('campus' as const)
    const radii = [...rule.band_edges, rule.limit_m]
    const bands = radii.map((outer, i) => ({
      band_index: i + 1,
      band: rule.band_names[i]!,
      inner_m: i === 0 ? 0 : radii[i - 1]!,
      outer_m: outer,
    }))
    const stored = await repository.storedZone(db, schoolId, { limitM: rule.limit_m, origin, bands })
    // Drawn with the school and with every rule change; a rule whose dates have just brought it into force waits for the next audit.
    if (!stored) continue
    const common = { schoolId, limitM: rule.limit_m, origin, categories, ruleIds }
    features.push({ type: 'Feature', properties: { kind: 'zone', ...common }, geometry: stored.outline })
    bands.forEach((band, i) => {
      features.push({
        type: 'Feature',
        properties: { kind: 'band', band: band.band, fromM: band.inner_m, toM: band.outer_m, ...common },
        geometry: stored.bands[i]!,
      })
    })
  }
  return { type: 'FeatureCollection', features }
}

/**
 * The rules a proposal would put in force, one per category × school type it names (all types when it
 * names none), unspecified fields kept from the rule in force; refuses with the fields at fault.
 */
function proposedRules(current: readonly Rule[], proposals: Preview['rules']): repository.ProposedRule[] {
  const overrides = new Map<string, repository.ProposedRule>()
  const problems: FieldProblem[] = []
  proposals.forEach((proposal, i) => {
    const targets = current.filter(
      (r) => r.category === proposal.category && (!proposal.schoolType || r.schoolType === proposal.schoolType),
    )
    if (targets.length === 0)
      problems.push({
        field: `body/rules/${i}`,
        message: `no rule in force for ${proposal.category}${proposal.schoolType ? ` × ${proposal.schoolType}` : ''}`,
      })
    for (const rule of targets) {
      const limitM = proposal.limitM ?? rule.limitM
      const bands = proposal.bands ?? bandsForLimit(rule.bands, limitM)
      const checked = checkBands(bands, limitM, `body/rules/${i}/bands`)
      problems.push(...checked.problems)
      const origin = proposal.origin ?? rule.origin
      const path = proposal.path ?? rule.path
      if (path === 'walking' && origin !== 'gates')
        throw walkingNeedsGates(`body/rules/${i}/${proposal.path === 'walking' ? 'path' : 'origin'}`)
      overrides.set(`${rule.category}|${rule.schoolType}`, {
        category: rule.category,
        schoolType: rule.schoolType,
        limitM,
        origin,
        path,
        names: checked.names,
        edges: checked.edges,
      })
    }
  })
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.field === p.field && q.message === p.message) === i)
  if (unique.length > 0)
    throw new AppError('VALIDATION_FAILED', unique.map((p) => `${p.field}: ${p.message}`).join('; '), { problems: unique })
  return [...overrides.values()]
}

/** A tally of premises (by category and county) and of their pairs by band. */
type Tally = PreviewResult['today']

/**
 * What a set of proposed rules would do, without saving anything: the conflicts of the proposal's
 * categories today and under the proposal (premises by category and county, pairs by band); premises that
 * would newly conflict (with no school today) or be cleared (of every school), by category, county and the
 * bands of their pairs, and where they are; band changes; and per school, the pairs that would appear or go.
 * Each proposal names a category and optionally a school type (all types when absent); unspecified fields
 * keep the current rule's values.
 */
export async function previewRules(db: Kysely<Database>, preview: Preview): Promise<PreviewResult> {
  const current = (await repository.listRules(db, {})).filter((r) => r.in_force).map(ruleOf)
  const list = proposedRules(current, preview.rules)
  const proposed = await pairsInSteps(db, list)
  // Every stored conflict of the categories concerned, marked 1 where the proposal governs its rule (`existing`);
  // those of the school types the proposal leaves alone (mark 0, `kept`) stay.
  const governed = new Set(list.map((o) => `${o.category}|${o.schoolType}`))
  const premises = new Map<number, { category: string; county_code: string }>()
  const stored = await storedPairs(
    db,
    [...new Set(list.map((o) => o.category))],
    (category, schoolType) => governed.has(`${category}|${schoolType}`),
    premises,
  )
  // Up to a million pairs are counted below: every loop gives other requests a turn every PREVIEW_SLICE_MS.
  const turns = turnTaker(PREVIEW_SLICE_MS)
  const each = async (pairs: PairList, step: (i: number) => void, mark?: number) => {
    for (let i = 0; i < pairs.length; i += 1) {
      if (mark === undefined || pairs.markAt(i) === mark) step(i)
      if (turns.due()) await turns.take()
    }
  }
  const EXISTING = 1
  const KEPT = 0

  // The pairs of today by premises and school (their index in `stored`): the proposal's pairs (up to a million) are
  // looked up without a key string each, and only those that exist today are remembered, so the heap stays small.
  const now = new Map<number, Map<number, number>>()
  await each(
    stored,
    (i) => {
      const id = stored.premisesAt(i)
      const bySchool = now.get(id) ?? now.set(id, new Map()).get(id)!
      bySchool.set(stored.schoolAt(i), i)
    },
    EXISTING,
  )
  const keptToday = new Uint8Array(stored.length)
  const added = new PairList()
  let bandChanged = 0
  await each(proposed, (i) => {
    const before = now.get(proposed.premisesAt(i))?.get(proposed.schoolAt(i))
    if (before === undefined) return void added.push(proposed.premisesAt(i), proposed.schoolAt(i), proposed.bandAt(i))
    keptToday[before] = 1
    if (stored.bandAt(before) !== proposed.bandAt(i)) bandChanged += 1
  })
  const cleared = new PairList()
  await each(
    stored,
    (i) => {
      if (!keptToday[i]) cleared.push(stored.premisesAt(i), stored.schoolAt(i), stored.bandAt(i))
    },
    EXISTING,
  )

  const unknown = new Set<number>()
  await each(added, (i) => {
    if (!premises.has(added.premisesAt(i))) unknown.add(added.premisesAt(i))
  })
  const unknownIds = [...unknown]
  for (let i = 0; i < unknownIds.length; i += 5000)
    for (const p of await repository.premisesPlaces(db, unknownIds.slice(i, i + 5000))) premises.set(p.id, p)
  const schoolIdSet = new Set<number>()
  await each(added, (i) => schoolIdSet.add(added.schoolAt(i)))
  await each(cleared, (i) => schoolIdSet.add(cleared.schoolAt(i)))
  const schoolIds = [...schoolIdSet]
  const schools = new Map<number, string>()
  for (let i = 0; i < schoolIds.length; i += 5000) {
    for (const s of await repository.schoolNames(db, schoolIds.slice(i, i + 5000))) schools.set(s.id, s.name)
  }
  const count = async (pairs: PairList) => {
    const n = new Map<number, number>()
    await each(pairs, (i) => n.set(pairs.premisesAt(i), (n.get(pairs.premisesAt(i)) ?? 0) + 1))
    return n
  }
  // A premises is newly conflicting only if it conflicts with no school today, and cleared only if it
  // will conflict with none: its pairs under rules the proposal leaves alone count too.
  const conflictsToday = await count(stored)
  const addedBy = await count(added)
  const clearedBy = await count(cleared)
  const today = (id: number) => conflictsToday.get(id) ?? 0
  const tomorrow = (id: number) => today(id) - (clearedBy.get(id) ?? 0) + (addedBy.get(id) ?? 0)
  const tally = async (
    lists: readonly { pairs: PairList; mark?: number }[],
    counts: (id: number) => boolean = () => true,
  ): Promise<Tally> => {
    const byCategory: Record<string, number> = {}
    const byCounty: Record<string, number> = {}
    const byBand: Record<string, number> = {}
    const seen = new Set<number>()
    for (const { pairs, mark } of lists)
      await each(
        pairs,
        (i) => {
          const id = pairs.premisesAt(i)
          if (!counts(id)) return
          const band = pairs.bandAt(i)
          byBand[band] = (byBand[band] ?? 0) + 1
          if (seen.has(id)) return
          seen.add(id)
          const p = premises.get(id)!
          byCategory[p.category] = (byCategory[p.category] ?? 0) + 1
          byCounty[p.county_code.trim()] = (byCounty[p.county_code.trim()] ?? 0) + 1
        },
        mark,
      )
    return { total: seen.size, byCategory, byCounty, byBand }
  }
  const perSchool = new Map<number, { newlyConflicting: number; cleared: number }>()
  const ofSchool = (id: number) => perSchool.get(id) ?? perSchool.set(id, { newlyConflicting: 0, cleared: 0 }).get(id)!
  await each(added, (i) => (ofSchool(added.schoolAt(i)).newlyConflicting += 1))
  await each(cleared, (i) => (ofSchool(cleared.schoolAt(i)).cleared += 1))
  const newIdSet = new Set<number>()
  await each(added, (i) => {
    if (today(added.premisesAt(i)) === 0) newIdSet.add(added.premisesAt(i))
  })
  const clearedIdSet = new Set<number>()
  await each(cleared, (i) => {
    if (tomorrow(cleared.premisesAt(i)) === 0) clearedIdSet.add(cleared.premisesAt(i))
  })
  const newIds = [...newIdSet]
  const clearedIds = [...clearedIdSet]
  const changes = [...newIds.map((id) => [id, 'newly_conflicting'] as const), ...clearedIds.map((id) => [id, 'cleared'] as const)].slice(
    0,
    PREVIEW_PREMISES_MAX,
  )
  const shown = new Map(
    (
      await repository.premisesOnMap(
        db,
        changes.map(([id]) => id),
      )
    ).map((p) => [p.id, p]),
  )
  return {
    today: await tally([{ pairs: stored }]),
    proposed: await tally([{ pairs: stored, mark: KEPT }, { pairs: proposed }]),
    newlyConflicting: await tally([{ pairs: added }], (id) => today(id) === 0),
    cleared: await tally([{ pairs: cleared }], (id) => tomorrow(id) === 0),
    bandChanged,
    unchanged: proposed.length - added.length - bandChanged,
    schools: [...perSchool.entries()]
      .map(([schoolId, counts]) => ({ schoolId, schoolName: schools.get(schoolId) ?? '', ...counts }))
      .sort((a, b) => b.newlyConflicting + b.cleared - (a.newlyConflicting + a.cleared) || a.schoolId - b.schoolId),
    premises: changes.map(([id, change]) => {
      const p = shown.get(id)!
      return {
        premisesId: id,
        name: p.name,
        category: p.category as PremisesCategory,
        countyCode: p.county_code.trim(),
        location: { lon: Number(p.lon), lat: Number(p.lat) },
        change,
      }
    }),
    premisesTruncated: newIds.length + clearedIds.length > PREVIEW_PREMISES_MAX,
  }
}

/**
 * Today's and the proposed zones of the schools whose zones can reach into a view, for drawing side by side:
 * for each school of a type the proposal concerns, each distinct shape (limit, origin, bands) of the
 * proposal's categories today and under the proposal, drawn as the stored zones are (maintenance.ts
 * redrawZones). Refused when the view is too large or holds too many schools.
 */
export async function previewZones(db: Kysely<Database>, input: PreviewZones): Promise<PreviewZonesResult> {
  const [west, south, east, north] = input.bbox as [number, number, number, number]
  const problems: FieldProblem[] = []
  if (!(west < east)) problems.push({ field: 'body/bbox/2', message: `east must be greater than west (${west})` })
  if (!(south < north)) problems.push({ field: 'body/bbox/3', message: `north must be greater than south (${south})` })
  if (Math.abs(south) > 90 || Math.abs(north) > 90) problems.push({ field: 'body/bbox', message: 'latitudes must lie within ±90' })
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })
  if (east - west > PREVIEW_ZONES_MAX_SPAN_DEG || north - south > PREVIEW_ZONES_MAX_SPAN_DEG)
    throw new AppError('UNPROCESSABLE', `body/bbox: the view may span at most ${PREVIEW_ZONES_MAX_SPAN_DEG}° each way; zoom in`, {
      problems: [{ field: 'body/bbox', message: `spans more than ${PREVIEW_ZONES_MAX_SPAN_DEG}°` }],
    })
  const current = (await repository.listRules(db, {})).filter((r) => r.in_force).map(ruleOf)
  const list = proposedRules(current, input.rules)
  const categories = new Set(list.map((o) => o.category))
  const shapes = new Map<string, repository.ZoneShape>()
  const addShape = (scenario: 'today' | 'proposed', rule: Omit<repository.ProposedRule, 'path'>) => {
    const id = `${scenario}|${rule.schoolType}|${rule.limitM}|${rule.origin}|${rule.names.join(',')}|${rule.edges.join(',')}`
    const shape = shapes.get(id) ?? { scenario, ...rule, categories: [] }
    shape.categories.push(rule.category)
    shapes.set(id, shape)
  }
  const types = new Set(list.map((o) => o.schoolType))
  for (const rule of current)
    if (categories.has(rule.category) && types.has(rule.schoolType))
      addShape('today', { ...rule, names: rule.bands.map((b) => b.name), edges: rule.bands.slice(0, -1).map((b) => b.toM) })
  for (const rule of list) addShape('proposed', rule)
  const all = [...shapes.values()]
  const reachM = Math.max(...all.map((s) => s.limitM)) + 301
  const bbox: [number, number, number, number] = [west, south, east, north]
  const schools = await repository.schoolsReaching(db, bbox, reachM, [...types], PREVIEW_ZONES_MAX_SCHOOLS + 1)
  if (schools.length > PREVIEW_ZONES_MAX_SCHOOLS)
    throw new AppError(
      'UNPROCESSABLE',
      `body/bbox: more than ${PREVIEW_ZONES_MAX_SCHOOLS} schools have zones in this view; zoom in to draw the proposed zones`,
      { problems: [{ field: 'body/bbox', message: `more than ${PREVIEW_ZONES_MAX_SCHOOLS} schools in view` }] },
    )
  const rows = schools.length === 0 ? [] : await repository.drawZoneShapes(db, schools, all)
  return {
    type: 'FeatureCollection',
    schools: new Set(rows.map((r) => r.school_id)).size,
    features: rows.map((r) => ({
      type: 'Feature' as const,
      properties: {
        scenario: r.scenario,
        kind: r.band === null ? ('zone' as const) : ('band' as const),
        ...(r.band === null ? {} : { band: r.band }),
        fromM: r.inner_m,
        toM: r.outer_m,
        schoolId: r.school_id,
        limitM: r.limit_m,
        origin: r.origin,
        categories: r.categories as PremisesCategory[],
      },
      geometry: r.geom,
    })),
  }
}
