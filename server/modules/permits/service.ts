import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid, notFound } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import type { User } from '../../schemas/auth.ts'
import type { CrsName, PremisesCategory } from '../../schemas/common.ts'
import type { CreateDecision, CreatePermit, Permit, PermitDetail, PermitKind, PermitQuery, PermitStatus, Screening } from '../../schemas/permits.ts'
import { appendAudit, listHistory, type Actor } from '../audit/repository.ts'
import { LICENSING_DEPARTMENTS, premisesFeature, type PremisesRecord } from '../registry/kinds.ts'
import * as registry from '../registry/repository.ts'
import { refreshForPremises } from '../zones/maintenance.ts'
import { check, zone } from '../zones/service.ts'
import { getSchool } from '../registry/service.ts'
import { polygonsOf, renderCertificate, type DrawnSchool } from './certificate.ts'
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

/** Guidance shown instead of a plain approval when a renewal lies inside a zone (domain.md: pre-existing premises are flagged for rectification, often not renewed at expiry). */
export const RECTIFICATION_GUIDANCE =
  '该场所位于学校安全区域内。按《实施意见》第三条、第九条，区域内已有场所列入整改：原则上到期不再续期；确需续期的，只能作为限期整改（迁出或停业）的过渡续期，须由主管（supervisor）填写越权理由并报综治办备案。 ' +
  'The premises lie inside a school safety zone: per policy a renewal may be granted only as a time-limited rectification (relocation or closure), by a supervisor with an override justification that is flagged to the governance office.'

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

async function screen(db: Kysely<Database>, category: PremisesCategory, kind: PermitKind, lon: number, lat: number, input: { lon: number; lat: number; crs: CrsName }): Promise<Screening> {
  const result = await check(db, { lon, lat, crs: 'wgs84', category })
  const screening: Screening = { ...result, input, crs: input.crs }
  if (kind === 'renewal' && result.verdict === 'prohibited') screening.rectification = RECTIFICATION_GUIDANCE
  return screening
}

/** What makes two screenings the same for a decision: the verdict and each conflicting school with the rule version that decided it. */
const signature = (screening: Screening) =>
  `${screening.verdict}|${screening.conflicts.map((c) => `${c.schoolId}:${c.ruleId}:${c.ruleVersion}`).sort().join(',')}`

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
    screening: (typeof row.screening === 'string' ? JSON.parse(row.screening) : row.screening) as Screening,
    flaggedOverride: row.flagged_override,
    decision:
      row.decided_at === null
        ? null
        : {
            decision: row.status === 'approved' ? 'approve' : 'reject',
            reason: row.decision_reason ?? '',
            overrideJustification: row.override_justification,
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
  const [lon, lat] = toWgs84(input.location.lon, input.location.lat, crs)
  // The county comes from the point itself (counties outline, ST_Covers): the applicant cannot put it in another desk's queue.
  const countyCode = await repository.countyAt(db, lon, lat)
  if (!countyCode) throw invalid('body/location', `(${lon.toFixed(6)}, ${lat.toFixed(6)}) WGS84 lies in no county of Guyuan`)
  if (user.role !== 'admin' && user.countyCode && user.countyCode !== countyCode) {
    throw new AppError('FORBIDDEN', `your scope is county ${user.countyCode}; this location is in ${countyCode}`)
  }
  return db.transaction().execute(async (trx) => {
    const screening = await screen(trx, input.category, input.kind, lon, lat, { lon: input.location.lon, lat: input.location.lat, crs })
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
      submittedBy: user,
    })
    const permit = permitOf((await repository.findPermit(trx, {}, id))!)
    await appendAudit(trx, actor, { action: 'submit', entityType: 'permit', entityId: id, after: permit })
    return permit
  })
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
 * writes the licensed premises into the registry in the same transaction.
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
    const fresh = await screen(trx, stored.category, stored.kind, stored.location.lon, stored.location.lat, stored.input)
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
    let premisesId: number | null = null
    let licenceNo: string | null = null
    if (input.decision === 'approve') {
      const licensedOn = await repository.today(trx)
      const serial = await repository.nextLicenceSerial(trx)
      licenceNo = `${LICENCE_CODES[stored.category]}-${stored.countyCode}-${licensedOn.slice(0, 4)}-${String(serial).padStart(6, '0')}`
      const record: PremisesRecord = {
        properties: {
          name: stored.businessName,
          category: stored.category,
          licenceNo,
          licenceStatus: 'active',
          licensedOn,
          expiresOn: addYears(licensedOn, LICENCE_YEARS[stored.category]),
          address: stored.address,
          countyCode: stored.countyCode,
        },
        geometry: { type: 'Point', coordinates: [stored.location.lon, stored.location.lat] },
        sourceCrs: stored.input.crs,
        demo: false,
      }
      const [inserted] = await registry.insertPremises(trx, [record])
      premisesId = inserted!
      await refreshForPremises(trx, [premisesId])
      const premises = premisesFeature((await registry.findPremises(trx, premisesId))!)
      await appendAudit(trx, actor, { action: 'create', entityType: 'premises', entityId: premisesId, after: { ...premises, permitId: id } })
    }
    const recorded = await repository.recordDecision(trx, id, {
      status: input.decision === 'approve' ? 'approved' : 'rejected',
      reason: input.reason.trim(),
      overrideJustification: flagged ? input.overrideJustification!.trim() : null,
      flagged,
      decidedBy: user,
      premisesId,
      licenceNo,
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

/** The permit's certificate as a PDF: the schools in conflict (or the nearest one) are drawn with their zones. */
export async function certificate(db: Kysely<Database>, id: number, user: User): Promise<Buffer> {
  const permit = await get(db, id, user)
  const ids = permit.screening.conflicts.length > 0 ? permit.screening.conflicts.map((c) => c.schoolId) : permit.screening.nearestSchools.slice(0, 1).map((n) => n.schoolId)
  const schools: DrawnSchool[] = []
  for (const schoolId of [...new Set(ids)].slice(0, 4)) {
    // A school deleted since the screening is listed in the text but cannot be drawn.
    const school = await getSchool(db, schoolId).catch(() => undefined)
    if (!school) continue
    const zones = await zone(db, schoolId, permit.category)
    const outline = zones.features.find((f) => f.properties.kind === 'zone')
    schools.push({
      schoolId,
      name: school.properties.name,
      campus: polygonsOf(school.geometry),
      gates: school.properties.gates,
      zone: outline ? polygonsOf(outline.geometry as { type: string; coordinates: unknown }) : [],
    })
  }
  return renderCertificate(permit, schools, user.username, new Date())
}
