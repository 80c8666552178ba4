import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid, notFound } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import type { User } from '../../schemas/auth.ts'
import type { CrsName, PremisesCategory } from '../../schemas/common.ts'
import type { CreateDecision, CreatePermit, Permit, PermitDetail, PermitKind, PermitQuery, PermitStatus, Rectification, Screening } from '../../schemas/permits.ts'
import type { Premises } from '../../schemas/registry.ts'
import type { Check, CheckResult } from '../../schemas/zones.ts'
import { historyOf as listHistory, record as appendAudit } from '../audit-log/service.ts'
import type { Actor } from '../../schemas/auth.ts'
import { LICENSING_DEPARTMENTS, premisesFeature, writeRefusal, type PremisesRecord, type PremisesRow } from '../registry/kinds.ts'
import * as registry from '../registry/repository.ts'
import { refreshForPremises } from '../zones/maintenance.ts'
import { check, zone } from '../zones/service.ts'
import { getSchool } from '../registry/service.ts'
import { checkCertificate, permitCertificate, polygonsOf, renderCertificate, type DrawnSchool } from './certificate.ts'
import * as repository from './repository.ts'
import type { PermitRow, Scope } from './repository.ts'

type SignedIn = Actor & { user: User }

/** Short codes that start issued licence numbers: `<CODE>-<county>-<year>-<serial>`. */
export const LICENCE_CODES: Record<PremisesCategory, string> = {
  tobacco_retail: 'TOB',
  lottery_outlet: 'LOT',
  internet_cafe: 'NET',
  entertainment_venue: 'ENT',
  video_game_venue: 'VGM',
  hazardous_chemicals: 'HAZ',
  fireworks: 'FWK',
  polluting_enterprise: 'POL',
  food_stall_zone: 'FSZ',
}

/** Licence term in years by category: tobacco retail licences run 5 years (烟草专卖零售许可证), the others 2 until each department's term is configured. */
export const LICENCE_YEARS: Record<PremisesCategory, number> = {
  tobacco_retail: 5,
  lottery_outlet: 2,
  internet_cafe: 2,
  entertainment_venue: 2,
  video_game_venue: 2,
  hazardous_chemicals: 2,
  fireworks: 2,
  polluting_enterprise: 2,
  food_stall_zone: 2,
}

/**
 * Guidance shown instead of a plain approval when a renewal is for premises that were there before a
 * school whose zone they lie in (domain.md: flagged for rectification, often not renewed at expiry;
 * seed §4: every rectification has a deadline, 时限; §20: 限期整改).
 */
export const RECTIFICATION_GUIDANCE = {
  open: {
    zh: '该场所早于学校设立，现位于学校安全区域内，列入整改。按《实施意见》第三条、第九条，原则上到期不再续期；确需续期的，只能由主管（supervisor）填写越权理由（报综治办备案）并批准限期整改续期：明确迁出或停业的期限，许可证于该期限届满，期满不再续期。',
    en: 'The premises predate a school whose safety zone they lie in and are flagged for rectification: as a rule they are not renewed. A renewal may be approved only by a supervisor with an override justification (flagged to the governance office) as a time-limited rectification: relocate or close by a deadline, on which the licence ends and beyond which it is not renewed.',
  },
  granted: (until: string) => ({
    zh: `该场所已获限期整改续期至 ${until}，期满不再续期：本次申请只能不予批准（或申请迁址）。`,
    en: `A rectification period was already granted to these premises until ${until}; no renewal beyond it: reject this application (or apply for a relocation).`,
  }),
}

const categoriesOf = (department: string) =>
  (Object.keys(LICENSING_DEPARTMENTS) as PremisesCategory[]).filter((c) => LICENSING_DEPARTMENTS[c].includes(department as never))

/**
 * What a user may read: admins and the governance office everything; a licensing department its
 * own categories within its county scope; anyone else nothing.
 */
export function readScope(user: User): Scope {
  if (user.role === 'admin' || user.department === 'governance') return {}
  return { categories: categoriesOf(user.department), countyCode: user.countyCode ?? undefined }
}

/** What a user may decide: admins everything; otherwise their department's categories within their county scope. */
function decideScope(user: User): Scope {
  if (user.role === 'admin') return {}
  return { categories: categoriesOf(user.department), countyCode: user.countyCode ?? undefined }
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK_CHARACTERS = '10X98765432'

/** Why an 18-character resident identity number (GB 11643-1999) is malformed, or undefined when it is well formed. */
export function idNumberProblem(value: string): string | undefined {
  if (!/^[1-9][0-9]{16}[0-9Xx]$/.test(value)) return 'must be 18 characters: 17 digits then a digit or X'
  const birth = value.slice(6, 14)
  const date = new Date(`${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}T00:00:00Z`)
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10).replaceAll('-', '') !== birth || date.getUTCFullYear() < 1900 || date.getTime() > Date.now()) {
    return `the birth date ${birth} in characters 7–14 is not a real past date`
  }
  const sum = WEIGHTS.reduce((total, weight, i) => total + weight * Number(value[i]), 0)
  const expected = CHECK_CHARACTERS[sum % 11]
  if (value[17]!.toUpperCase() !== expected) return 'the check character (the 18th) does not match the first 17'
  return undefined
}

/** The earlier premises record an application names, and how a renewal of it stands against the schools it predates. */
interface Earlier {
  id: number
}

async function screen(db: Kysely<Database>, category: PremisesCategory, kind: PermitKind, lon: number, lat: number, input: { lon: number; lat: number; crs: CrsName }, earlier?: Earlier): Promise<Screening> {
  const result = await check(db, { lon, lat, crs: 'wgs84', category })
  const screening: Screening = { ...result, input, crs: input.crs }
  if (kind === 'renewal' && earlier && result.verdict === 'prohibited') {
    const rectification = await rectificationFor(db, earlier.id, category, result)
    if (rectification) screening.rectification = rectification
  }
  return screening
}

/** Rectification guidance when the premises predate at least one school whose zone they lie in; undefined otherwise. */
async function rectificationFor(db: Kysely<Database>, premisesId: number, category: PremisesCategory, result: CheckResult): Promise<Rectification | undefined> {
  const rows = await repository.predating(db, premisesId, [...new Set(result.conflicts.map((c) => c.schoolId))])
  const predates = rows.filter((r) => r.predates)
  if (predates.length === 0) return undefined
  const grantedUntil = (await repository.grantedRectification(db, premisesId)) ?? null
  const today = await repository.today(db)
  const guidance = grantedUntil === null ? RECTIFICATION_GUIDANCE.open : RECTIFICATION_GUIDANCE.granted(grantedUntil)
  return {
    guidance: guidance.zh,
    guidanceEn: guidance.en,
    premisesId,
    predates: predates.map((r) => ({
      schoolId: r.school_id,
      schoolName: r.school_name,
      schoolSince: r.school_since,
      premisesSince: r.premises_since,
      basis: r.by_dates ? ('licence_and_opening_dates' as const) : ('registry_creation' as const),
    })),
    deadlineAtMost: grantedUntil === null ? addYears(today, LICENCE_YEARS[category]) : null,
    grantedUntil,
  }
}

/** What makes two screenings the same for a decision: the verdict and each conflicting school with the rule version that decided it. */
const signature = (screening: Screening) =>
  `${screening.verdict}|${screening.conflicts.map((c) => `${c.schoolId}:${c.ruleId}:${c.ruleVersion}`).sort().join(',')}` +
  `|${screening.rectification ? `rectification:${screening.rectification.grantedUntil ?? 'open'}` : '-'}`

/** Screenings stored before rectification became structured carried it as one text: keep its words. */
function screeningOf(stored: unknown, premisesId: number | null): Screening {
  const screening = (typeof stored === 'string' ? JSON.parse(stored) : stored) as Screening
  const legacy: unknown = screening.rectification
  if (typeof legacy === 'string') {
    const [zh, ...en] = legacy.split(' The premises')
    screening.rectification = { guidance: zh!, guidanceEn: en.length > 0 ? `The premises${en.join(' The premises')}` : '', premisesId: premisesId ?? 0, predates: [], deadlineAtMost: null, grantedUntil: null }
  }
  return screening
}

const iso = (value: Date | string) => new Date(value).toISOString()

function permitOf(row: PermitRow): Permit {
  return {
    id: row.id,
    status: row.status as PermitStatus,
    version: row.version,
    applicant: { name: row.applicant_name, idNumber: row.applicant_id_number },
    businessName: row.business_name,
    category: row.category as PremisesCategory,
    kind: row.kind as PermitKind,
    address: row.address,
    countyCode: row.county_code.trim(),
    location: { lon: row.location.coordinates[0], lat: row.location.coordinates[1] },
    input: { lon: Number(row.input_lon), lat: Number(row.input_lat), crs: row.source_crs as CrsName },
    screening: screeningOf(row.screening, row.premises_id),
    flaggedOverride: row.flagged_override,
    decision:
      row.decided_at === null
        ? null
        : {
            decision: row.status === 'approved' ? 'approve' : 'reject',
            reason: row.decision_reason ?? '',
            overrideJustification: row.override_justification,
            rectification: (typeof row.rectification === 'string' ? JSON.parse(row.rectification) : row.rectification) as { measure: 'relocate' | 'close'; deadline: string } | null,
            decidedBy: { id: row.decided_by ?? 0, username: row.decided_by_name ?? '', role: row.decided_role ?? '' },
            decidedAt: iso(row.decided_at),
          },
    premisesId: row.premises_id,
    licenceNo: row.licence_no,
    submittedBy: row.submitted_by_name,
    submittedAt: iso(row.submitted_at),
    updatedAt: iso(row.updated_at),
  }
}

/** Validates, screens and stores an application from a clerk or supervisor of the licensing department, within their county scope. */
export async function submit(db: Kysely<Database>, input: CreatePermit, actor: SignedIn): Promise<Permit> {
  const { user } = actor
  if (user.role === 'viewer') throw new AppError('FORBIDDEN', 'viewers cannot submit applications')
  const licensing = LICENSING_DEPARTMENTS[input.category]
  if (user.role !== 'admin' && !licensing.includes(user.department)) {
    throw new AppError('FORBIDDEN', `${input.category} is licensed by ${licensing.join(' or ')}, not ${user.department}`)
  }
  const idProblem = idNumberProblem(input.applicant.idNumber)
  if (idProblem) throw invalid('body/applicant/idNumber', idProblem)
  const crs: CrsName = input.location.crs ?? 'wgs84'
  let [lon, lat] = toWgs84(input.location.lon, input.location.lat, crs)
  const earlier = await earlierPremises(db, input, user, lon, lat)
  // A renewal or change keeps the premises where they are registered: that point is screened, not a nearby paste.
  if (earlier && input.kind !== 'relocation') [lon, lat] = earlier.geometry.coordinates as [number, number]
  // The county comes from the point itself (counties outline, ST_Covers): the applicant cannot put it in another desk's queue.
  const countyCode = await repository.countyAt(db, lon, lat)
  if (!countyCode) throw invalid('body/location', `(${lon.toFixed(6)}, ${lat.toFixed(6)}) WGS84 lies in no county of Guyuan`)
  if (user.role !== 'admin' && user.countyCode && user.countyCode !== countyCode) {
    throw new AppError('FORBIDDEN', `your scope is county ${user.countyCode}; this location is in ${countyCode}`)
  }
  return db.transaction().execute(async (trx) => {
    const screening = await screen(trx, input.category, input.kind, lon, lat, { lon: input.location.lon, lat: input.location.lat, crs }, earlier)
    const id = await repository.insertPermit(trx, {
      applicantName: input.applicant.name.trim(),
      applicantIdNumber: input.applicant.idNumber.toUpperCase(),
      businessName: input.businessName.trim(),
      category: input.category,
      kind: input.kind,
      address: input.address.trim(),
      countyCode,
      lon,
      lat,
      inputLon: input.location.lon,
      inputLat: input.location.lat,
      sourceCrs: crs,
      screening,
      screenedAt: screening.checkedAt,
      premisesId: earlier?.id ?? null,
      submittedBy: user,
    })
    const permit = permitOf((await repository.findPermit(trx, {}, id))!)
    await appendAudit(trx, actor, { action: 'submit', entityType: 'permit', entityId: id, after: permit })
    return permit
  })
}

/** How far a renewal's or change's pasted location may lie from the registered point (GPS and paste noise). */
export const SAME_PLACE_M = 50

const unprocessable = (field: string, problem: string) => new AppError('UNPROCESSABLE', `${field}: ${problem}`, { problems: [{ field, message: problem }] })

/**
 * The registered premises a renewal, relocation or change is for: it must exist, be of the same
 * category, be writable by the user (department and county), hold a licence that was not revoked,
 * and — unless it moves — lie where the application says.
 */
async function earlierPremises(db: Kysely<Database>, input: CreatePermit, user: User, lon: number, lat: number): Promise<Premises | undefined> {
  if (input.kind === 'new') {
    if (input.premisesId !== undefined) throw invalid('body/premisesId', 'is only for a renewal, relocation or change; a new application registers new premises')
    return undefined
  }
  if (input.premisesId === undefined) throw invalid('body/premisesId', `is required for a ${input.kind}: name the registered premises it is for`)
  const row = await registry.findPremises(db, input.premisesId)
  if (!row) throw unprocessable('body/premisesId', `premises ${input.premisesId} does not exist`)
  const premises = premisesFeature(row)
  const { category, countyCode, licenceStatus, expiresOn } = premises.properties
  if (category !== input.category) throw unprocessable('body/premisesId', `premises ${row.id} are ${category}, not ${input.category}`)
  const refusal = writeRefusal(user, 'premises', countyCode, category)
  if (refusal) throw new AppError('FORBIDDEN', `body/premisesId: ${refusal}`)
  // The unique index permits_pending_premises_idx settles a race; this names the field for the common case.
  const pending = await repository.pendingFor(db, row.id)
  if (pending !== undefined) throw new AppError('CONFLICT', `body/premisesId: application ${pending} for premises ${row.id} is still pending; decide it first`)
  if (licenceStatus === 'revoked') throw unprocessable('body/premisesId', `the licence of premises ${row.id} was revoked; apply for a new licence`)
  if (input.kind !== 'renewal' && expiresOn !== null && expiresOn < (await repository.today(db))) {
    throw unprocessable('body/premisesId', `the licence of premises ${row.id} expired on ${expiresOn}; apply for a renewal first`)
  }
  if (input.kind !== 'relocation') {
    const distanceM = (await repository.distanceFromPremises(db, row.id, lon, lat))!
    if (distanceM > SAME_PLACE_M) {
      throw invalid('body/location', `is ${distanceM.toFixed(1)} m from premises ${row.id}'s registered point; a ${input.kind} keeps the place (within ${SAME_PLACE_M} m): apply for a relocation to move`)
    }
  }
  return premises
}

/** The caller's queue: permits within their scope, filtered and paged. */
export async function list(db: Kysely<Database>, query: PermitQuery, user: User) {
  const { rows, numberMatched } = await repository.listPermits(db, readScope(user), {
    status: query.status, category: query.category, countyCode: query.countyCode, from: query.from, to: query.to, q: query.q,
    flagged: query.flag === 'override', limit: query.limit ?? 100, offset: query.offset ?? 0,
  })
  return { numberMatched, numberReturned: rows.length, permits: rows.map(permitOf) }
}

/** One permit within the caller's scope with its history, or 404. */
export async function get(db: Kysely<Database>, id: number, user: User): Promise<PermitDetail> {
  const row = await repository.findPermit(db, readScope(user), id)
  if (!row) throw notFound('permit', id)
  const history = await listHistory(db, 'permit', id)
  return {
    ...permitOf(row),
    history: history.map((h) => ({ at: iso(h.at), action: h.action, username: h.username, role: h.role, details: h.after })),
  }
}

function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const end = new Date(Date.UTC(y + years, m - 1, d))
  if (end.getUTCDate() !== d) end.setUTCDate(0) // 29 February → 28 February
  end.setUTCDate(end.getUTCDate() - 1) // a term of N years ends the day before the anniversary
  return end.toISOString().slice(0, 10)
}

type Outcome = { kind: 'decided'; permit: Permit } | { kind: 'rescreened'; screening: Screening; version: number }

/**
 * Decides a pending permit under a row lock: re-screens against the current zones and rules (a changed
 * result is stored and answered with 409), checks the version and the override rule, and on approval
 * registers the premises (new) or rewrites the earlier record (renewal, relocation, change) in the same transaction.
 */
export async function decide(db: Kysely<Database>, id: number, input: CreateDecision, actor: SignedIn): Promise<Permit> {
  const { user } = actor
  if (user.role === 'viewer') throw new AppError('FORBIDDEN', 'viewers cannot decide applications')
  const scope = decideScope(user)
  if (scope.categories?.length === 0) throw new AppError('FORBIDDEN', `${user.department} licenses no premises category`)
  const outcome = await db.transaction().execute(async (trx): Promise<Outcome> => {
    const row = await repository.findPermit(trx, scope, id, true)
    if (!row) throw notFound('permit', id)
    if (row.status !== 'pending') throw new AppError('CONFLICT', `permit ${id} was already ${row.status}; decisions are final`)
    if (row.version !== input.version) {
      throw new AppError('VERSION_CONFLICT', `version: the application is at version ${row.version}, not ${input.version}; reload it and decide again`)
    }
    const stored = permitOf(row)
    const earlier = stored.kind === 'new' || stored.premisesId === null ? undefined : { id: stored.premisesId }
    const fresh = await screen(trx, stored.category, stored.kind, stored.location.lon, stored.location.lat, stored.input, earlier)
    if (signature(fresh) !== signature(stored.screening)) {
      await repository.replaceScreening(trx, id, fresh, fresh.checkedAt)
      await appendAudit(trx, actor, { action: 'rescreen', entityType: 'permit', entityId: id, before: stored.screening, after: fresh })
      return { kind: 'rescreened', screening: fresh, version: row.version + 1 }
    }
    let flagged = false
    if (input.decision === 'approve' && fresh.verdict === 'prohibited') {
      if (user.role !== 'supervisor' && user.role !== 'admin') {
        throw new AppError('FORBIDDEN', `the screening found ${fresh.conflicts.length} conflict(s): approving needs a supervisor with an override justification`)
      }
      if (!input.overrideJustification) throw invalid('body/overrideJustification', 'is required to approve an application whose screening found a conflict')
      flagged = true
    }
    const rectification = await checkRectification(trx, input, fresh)
    let premisesId: number | null = stored.premisesId
    let licenceNo: string | null = null
    if (input.decision === 'approve') {
      const licensed = stored.kind === 'new' ? await registerPremises(trx, stored, actor) : await updateEarlierPremises(trx, stored, rectification, actor)
      premisesId = licensed.premisesId
      licenceNo = licensed.licenceNo
    }
    const recorded = await repository.recordDecision(trx, id, {
      status: input.decision === 'approve' ? 'approved' : 'rejected',
      reason: input.reason.trim(),
      overrideJustification: flagged ? input.overrideJustification!.trim() : null,
      flagged,
      decidedBy: user,
      premisesId,
      licenceNo,
      rectification,
    })
    if (!recorded) throw new AppError('CONFLICT', `permit ${id} was decided by someone else; reload it`)
    const permit = permitOf((await repository.findPermit(trx, {}, id))!)
    await appendAudit(trx, actor, { action: 'decide', entityType: 'permit', entityId: id, before: stored, after: permit })
    return { kind: 'decided', permit }
  })
  if (outcome.kind === 'rescreened') {
    throw new AppError(
      'CONFLICT',
      `screening: the zones or rules changed since the application was screened; the new screening is stored as version ${outcome.version}: review it and decide again`,
      { screening: outcome.screening, version: outcome.version },
    )
  }
  return outcome.permit
}

/**
 * What a decision grants under rectification: required to approve a renewal whose screening carries
 * rectification guidance (a deadline after today, no later than the guidance allows), refused anywhere else.
 */
async function checkRectification(trx: Transaction<Database>, input: CreateDecision, screening: Screening): Promise<{ measure: 'relocate' | 'close'; deadline: string } | null> {
  const guidance = screening.rectification
  if (input.decision !== 'approve' || !guidance) {
    if (input.rectification) throw invalid('body/rectification', 'is only for approving a renewal whose screening carries rectification guidance')
    return null
  }
  if (guidance.grantedUntil !== null) {
    throw unprocessable('body/decision', `premises ${guidance.premisesId} already had a rectification period until ${guidance.grantedUntil}; no renewal beyond it: reject the application`)
  }
  if (!input.rectification) throw invalid('body/rectification', 'is required: these premises predate a school whose zone they lie in, so a renewal is only a time-limited rectification ({"measure":"relocate"|"close","deadline":"YYYY-MM-DD"})')
  const { measure, deadline } = input.rectification
  const today = await repository.today(trx)
  const latest = addYears(today, LICENCE_YEARS[screening.category])
  if (Number.isNaN(Date.parse(`${deadline}T00:00:00Z`)) || new Date(`${deadline}T00:00:00Z`).toISOString().slice(0, 10) !== deadline) {
    throw invalid('body/rectification/deadline', `${deadline} is not a calendar day`)
  }
  if (deadline <= today || deadline > latest) throw invalid('body/rectification/deadline', `must be after today (${today}) and at most ${latest}, the end of a normal term`)
  return { measure, deadline }
}

type Licensed = { premisesId: number; licenceNo: string }

async function issueLicenceNo(trx: Transaction<Database>, permit: Permit, licensedOn: string): Promise<string> {
  const serial = await repository.nextLicenceSerial(trx)
  return `${LICENCE_CODES[permit.category]}-${permit.countyCode}-${licensedOn.slice(0, 4)}-${String(serial).padStart(6, '0')}`
}

/** A `new` application's approval: the licensed premises enter the registry, conflicts follow. */
async function registerPremises(trx: Transaction<Database>, permit: Permit, actor: SignedIn): Promise<Licensed> {
  const licensedOn = await repository.today(trx)
  const licenceNo = await issueLicenceNo(trx, permit, licensedOn)
  const record: PremisesRecord = {
    properties: {
      name: permit.businessName,
      category: permit.category,
      licenceNo,
      licenceStatus: 'active',
      licensedOn,
      expiresOn: addYears(licensedOn, LICENCE_YEARS[permit.category]),
      address: permit.address,
      countyCode: permit.countyCode,
    },
    geometry: { type: 'Point', coordinates: [permit.location.lon, permit.location.lat] },
    sourceCrs: permit.input.crs,
    demo: false,
  }
  const [premisesId] = await registry.insertPremises(trx, [record])
  await refreshForPremises(trx, [premisesId!])
  const premises = premisesFeature((await registry.findPremises(trx, premisesId!))!)
  await appendAudit(trx, actor, { action: 'create', entityType: 'premises', entityId: premisesId!, after: { ...premises, permitId: permit.id } })
  return { premisesId: premisesId!, licenceNo }
}

const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

/**
 * A renewal, relocation or change rewrites the earlier premises record under a row lock, with its
 * history entry and its conflicts recomputed in the same transaction: a renewal extends the term
 * (to the rectification deadline when one is granted), a relocation moves it (licensed here from
 * today), a change renames it and updates its address.
 */
async function updateEarlierPremises(trx: Transaction<Database>, permit: Permit, rectification: { deadline: string } | null, actor: SignedIn): Promise<Licensed> {
  if (permit.premisesId === null) throw unprocessable('premisesId', `permit ${permit.id} names no earlier premises (submitted before applications had to): reject it and submit it again with premisesId`)
  const row: PremisesRow | undefined = await registry.findPremises(trx, permit.premisesId, true)
  if (!row) throw new AppError('CONFLICT', `premises ${permit.premisesId} named by permit ${permit.id} no longer exist: reject the application`)
  const refusal = writeRefusal(actor.user, 'premises', row.county_code.trim(), row.category)
  if (refusal) throw new AppError('FORBIDDEN', `premises ${row.id}: ${refusal}`)
  const before = premisesFeature(row)
  const today = await repository.today(trx)
  const properties = { ...before.properties }
  let geometry = before.geometry as PremisesRecord['geometry']
  let sourceCrs = before.properties.sourceCrs
  if (permit.kind === 'renewal') {
    // A renewal filed before expiry runs on from the old end; a late one from today.
    const start = properties.expiresOn !== null && properties.expiresOn >= today ? nextDay(properties.expiresOn) : today
    properties.expiresOn = rectification ? rectification.deadline : addYears(start, LICENCE_YEARS[permit.category])
    properties.licenceStatus = 'active'
    properties.licensedOn ??= today
  } else if (permit.kind === 'relocation') {
    geometry = { type: 'Point', coordinates: [permit.location.lon, permit.location.lat] }
    sourceCrs = permit.input.crs
    properties.name = permit.businessName
    properties.address = permit.address
    properties.countyCode = permit.countyCode
    // Licensed at the new place from today: it was not there before any school near it.
    if (properties.expiresOn !== null && properties.expiresOn < today) throw new AppError('CONFLICT', `the licence of premises ${row.id} expired on ${properties.expiresOn}; renew it before relocating`)
    properties.licensedOn = today
  } else {
    properties.name = permit.businessName
    properties.address = permit.address
  }
  properties.licenceNo ??= await issueLicenceNo(trx, permit, today)
  const { sourceCrs: _s, demo: _d, version: _v, createdAt: _c, updatedAt: _u, ...stored } = properties
  await registry.updatePremises(trx, row.id, { properties: stored, geometry, sourceCrs, demo: before.properties.demo })
  await refreshForPremises(trx, [row.id])
  const after = premisesFeature((await registry.findPremises(trx, row.id))!)
  await appendAudit(trx, actor, { action: 'update', entityType: 'premises', entityId: row.id, before, after: { ...after, permitId: permit.id, permitKind: permit.kind } })
  return { premisesId: row.id, licenceNo: properties.licenceNo }
}

/** The schools a certificate draws: those in conflict, or else the nearest one (at most four), each with its zone for the category. */
async function schoolsToDraw(db: Kysely<Database>, screening: CheckResult): Promise<DrawnSchool[]> {
  const ids = screening.conflicts.length > 0 ? screening.conflicts.map((c) => c.schoolId) : screening.nearestSchools.slice(0, 1).map((n) => n.schoolId)
  const schools: DrawnSchool[] = []
  for (const schoolId of [...new Set(ids)].slice(0, 4)) {
    // A school deleted since the screening is listed in the text but cannot be drawn.
    const school = await getSchool(db, schoolId).catch(() => undefined)
    if (!school) continue
    const zones = await zone(db, schoolId, screening.category)
    const outline = zones.features.find((f) => f.properties.kind === 'zone')
    schools.push({
      schoolId,
      name: school.properties.name,
      campus: polygonsOf(school.geometry),
      gates: school.properties.gates,
      zone: outline ? polygonsOf(outline.geometry as { type: string; coordinates: unknown }) : [],
    })
  }
  return schools
}

const operatorOf = (user: User) => `${user.username}（${user.department} ${user.role}）`

/** The permit's certificate as a PDF: the schools in conflict (or the nearest one) are drawn with their zones. */
export async function certificate(db: Kysely<Database>, id: number, user: User): Promise<Buffer> {
  const permit = await get(db, id, user)
  return renderCertificate(permitCertificate(permit, await schoolsToDraw(db, permit.screening), operatorOf(user), new Date()))
}

/**
 * A certificate for any point of Guyuan and a category, like the permit's: the verdict measured now,
 * each school in reach, the drawing, the time and the operator. Points outside Guyuan's counties are
 * refused, since the registry knows no schools there.
 */
export async function pointCertificate(db: Kysely<Database>, query: Check, user: User): Promise<Buffer> {
  const [lon, lat] = toWgs84(query.lon, query.lat, query.crs ?? 'wgs84')
  const countyCode = await repository.countyAt(db, lon, lat)
  if (!countyCode) {
    throw invalid('querystring/lon', `with lat: (${lon.toFixed(6)}, ${lat.toFixed(6)}) WGS84 lies in no county of Guyuan, where the registry has its schools`)
  }
  const result = await check(db, query)
  return renderCertificate(checkCertificate(result, countyCode, await schoolsToDraw(db, result), operatorOf(user), new Date()))
}
