import type { Static } from 'typebox'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid, notFound } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import type { SignedInActor, User } from '../../schemas/auth.ts'
import type { CrsName } from '../../schemas/common.ts'
import type { CreatePermit, Permit, PermitDetail, PermitPageSchema, PermitQuery } from '../../schemas/permits.ts'
import type { Premises } from '../../schemas/registry.ts'
import type { Check, CheckResult } from '../../schemas/zones.ts'
import { historyOf, record as appendAudit } from '../audit-log/service.ts'
import { LICENSING_DEPARTMENTS, writeRefusal } from '../registry/kinds.ts'
import { findPremises, getSchool } from '../registry/service.ts'
import { zone, check } from '../zones/service.ts'
import { checkCertificate, permitCertificate, polygonsOf, renderCertificate, type DrawnSchool } from './certificate.ts'
import { unprocessable } from './decisions.ts'
import { iso, permitOf } from './records.ts'
import * as repository from './repository.ts'
import { readScope } from './scope.ts'
import { screen } from './screening.ts'

export { decide } from './decisions.ts'
export { readScope } from './scope.ts'

// Defined here until the schemas carry it beside PermitPageSchema.
type PermitPage = Static<typeof PermitPageSchema>

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK_CHARACTERS = '10X98765432'

/** Why an 18-character resident identity number (GB 11643-1999) is malformed, or undefined when it is well formed. */
export function idNumberProblem(value: string): string | undefined {
  if (!/^[1-9][0-9]{16}[0-9Xx]$/.test(value)) return 'must be 18 characters: 17 digits then a digit or X'
  const birth = value.slice(6, 14)
  const date = new Date(`${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}T00:00:00Z`)
  if (
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 10).replaceAll('-', '') !== birth ||
    date.getUTCFullYear() < 1900 ||
    date.getTime() > Date.now()
  ) {
    return `the birth date ${birth} in characters 7–14 is not a real past date`
  }
  const sum = WEIGHTS.reduce((total, weight, i) => total + weight * Number(value[i]), 0)
  const expected = CHECK_CHARACTERS[sum % 11]
  if (value[17]!.toUpperCase() !== expected) return 'the check character (the 18th) does not match the first 17'
  return undefined
}

/** Validates, screens and stores an application from a clerk or supervisor of the licensing department, within their county scope. */
export async function submit(db: Kysely<Database>, input: CreatePermit, actor: SignedInActor): Promise<Permit> {
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
  // One "today" for the application: the expiry check of the earlier licence and the screening's deadline agree.
  const today = await repository.today(db)
  const earlier = await earlierPremises(db, input, user, lon, lat, today)
  // A renewal or change keeps the premises where they are registered: that point is screened, not a nearby paste.
  if (earlier && input.kind !== 'relocation') [lon, lat] = earlier.geometry.coordinates as [number, number]
  // The county comes from the point itself (counties outline, ST_Covers): the applicant cannot put it in another desk's queue.
  const countyCode = await repository.countyAt(db, lon, lat)
  // A place outside Guyuan is a 422 like every registry write's (the request is well formed; the place is not the city's).
  if (!countyCode) throw unprocessable('body/location', `(${lon.toFixed(6)}, ${lat.toFixed(6)}) WGS84 lies in no county of Guyuan`)
  if (user.role !== 'admin' && user.countyCode && user.countyCode !== countyCode) {
    throw new AppError('FORBIDDEN', `your scope is county ${user.countyCode}; this location is in ${countyCode}`)
  }
  return db.transaction().execute(async (trx) => {
    const screening = await screen(
      trx,
      {
        category: input.category,
        kind: input.kind,
        lon,
        lat,
        input: { lon: input.location.lon, lat: input.location.lat, crs },
        earlierPremisesId: earlier?.id,
      },
      today,
    )
    const row = await repository.insertPermit(trx, {
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
    const permit = permitOf(row)
    await appendAudit(trx, actor, { action: 'submit', entityType: 'permit', entityId: permit.id, after: permit })
    return permit
  })
}

/** How far a renewal's or change's pasted location may lie from the registered point (GPS and paste noise). */
export const SAME_PLACE_M = 50

/**
 * The registered premises a renewal, relocation or change is for: it must exist, be of the same
 * category, be writable by the user (department and county), hold a licence that was not revoked,
 * and — unless it moves — lie where the application says.
 */
async function earlierPremises(
  db: Kysely<Database>,
  input: CreatePermit,
  user: User,
  lon: number,
  lat: number,
  today: string,
): Promise<Premises | undefined> {
  if (input.kind === 'new') {
    if (input.premisesId !== undefined)
      throw invalid('body/premisesId', 'is only for a renewal, relocation or change; a new application registers new premises')
    return undefined
  }
  if (input.premisesId === undefined)
    throw invalid('body/premisesId', `is required for a ${input.kind}: name the registered premises it is for`)
  const premises = await findPremises(db, input.premisesId)
  if (!premises) throw unprocessable('body/premisesId', `premises ${input.premisesId} does not exist`)
  const { category, countyCode, licenceStatus, expiresOn } = premises.properties
  if (category !== input.category) throw unprocessable('body/premisesId', `premises ${premises.id} are ${category}, not ${input.category}`)
  const refusal = writeRefusal(user, 'premises', countyCode, category)
  if (refusal) throw new AppError('FORBIDDEN', `body/premisesId: ${refusal}`)
  // The unique index permits_pending_premises_idx settles a race; this names the field for the common case.
  const pending = await repository.pendingFor(db, premises.id)
  if (pending !== undefined)
    throw new AppError('CONFLICT', `body/premisesId: application ${pending} for premises ${premises.id} is still pending; decide it first`)
  if (licenceStatus === 'revoked')
    throw unprocessable('body/premisesId', `the licence of premises ${premises.id} was revoked; apply for a new licence`)
  if (input.kind !== 'renewal' && expiresOn !== null && expiresOn < today) {
    throw unprocessable('body/premisesId', `the licence of premises ${premises.id} expired on ${expiresOn}; apply for a renewal first`)
  }
  if (input.kind !== 'relocation') {
    const distanceM = (await repository.distanceFromPremises(db, premises.id, lon, lat))!
    if (distanceM > SAME_PLACE_M) {
      throw invalid(
        'body/location',
        `is ${distanceM.toFixed(1)} m from premises ${premises.id}'s registered point; a ${input.kind} keeps the place (within ${SAME_PLACE_M} m): apply for a relocation to move`,
      )
    }
  }
  return premises
}

/** The caller's queue: permits within their scope, filtered and paged. */
export async function list(db: Kysely<Database>, query: PermitQuery, user: User): Promise<PermitPage> {
  const { rows, numberMatched } = await repository.listPermits(db, readScope(user), {
    status: query.status,
    category: query.category,
    countyCode: query.countyCode,
    from: query.from,
    to: query.to,
    q: query.q,
    flagged: query.flag === 'override',
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  })
  return { numberMatched, numberReturned: rows.length, permits: rows.map(permitOf) }
}

/** One permit within the caller's scope with its history, or 404. */
export async function get(db: Kysely<Database>, id: number, user: User): Promise<PermitDetail> {
  const row = await repository.findPermit(db, readScope(user), id)
  if (!row) throw notFound('permit', id)
  const history = await historyOf(db, 'permit', id)
  return {
    ...permitOf(row),
    history: history.map((h) => ({ at: iso(h.at), action: h.action, username: h.username, role: h.role, details: h.after })),
  }
}

/** The schools a certificate draws: those in conflict, or else the nearest one (at most four), each with its zone for the category. */
async function schoolsToDraw(db: Kysely<Database>, screening: CheckResult): Promise<DrawnSchool[]> {
  const ids =
    screening.conflicts.length > 0
      ? screening.conflicts.map((c) => c.schoolId)
      : screening.nearestSchools.slice(0, 1).map((n) => n.schoolId)
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

const operatorOf = (user: User): string => `${user.username}（${user.department} ${user.role}）`

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
    throw invalid(
      'querystring/lon',
      `with lat: (${lon.toFixed(6)}, ${lat.toFixed(6)}) WGS84 lies in no county of Guyuan, where the registry has its schools`,
    )
  }
  const result = await check(db, query)
  return renderCertificate(checkCertificate(result, countyCode, await schoolsToDraw(db, result), operatorOf(user), new Date()))
}
