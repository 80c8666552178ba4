import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid, notFound } from '../../errors.ts'
import type { SignedInActor } from '../../schemas/auth.ts'
import type { CreateDecision, Permit, Screening } from '../../schemas/permits.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import { writeRefusal, type PremisesRecord } from '../registry/kinds.ts'
import { lockPremises, registerPremises, rewritePremises } from '../registry/service.ts'
import { licenceNumber, renewedUntil, termEnd } from './licence.ts'
import { permitOf } from './records.ts'
import * as repository from './repository.ts'
import { decideScope } from './scope.ts'
import { screen, signature } from './screening.ts'

type Outcome = { kind: 'decided'; permit: Permit } | { kind: 'rescreened'; screening: Screening; version: number }
type Granted = { measure: 'relocate' | 'close'; deadline: string }

/** A 422 naming the field: the request is well formed but the registry does not allow it. */
export const unprocessable = (field: string, problem: string): AppError =>
  new AppError('UNPROCESSABLE', `${field}: ${problem}`, { problems: [{ field, message: problem }] })

/**
 * Decides a pending permit under a row lock: re-screens against the current zones and rules (a changed
 * result is stored and answered with 409), checks the version and the override rule, and on approval
 * registers the premises (new) or rewrites the earlier record (renewal, relocation, change) in the same transaction.
 */
export async function decide(db: Kysely<Database>, id: number, input: CreateDecision, actor: SignedInActor): Promise<Permit> {
  const { user } = actor
  if (user.role === 'viewer') throw new AppError('FORBIDDEN', 'viewers cannot decide applications')
  const scope = decideScope(user)
  if (scope.categories?.length === 0) throw new AppError('FORBIDDEN', `${user.department} licenses no premises category`)
  const outcome = await db.transaction().execute(async (trx): Promise<Outcome> => {
    const row = await repository.findPermit(trx, scope, id, true)
    if (!row) throw notFound('permit', id)
    if (row.status !== 'pending') throw new AppError('CONFLICT', `permit ${id} was already ${row.status}; decisions are final`)
    if (row.version !== input.version) {
      throw new AppError(
        'VERSION_CONFLICT',
        `version: the application is at version ${row.version}, not ${input.version}; reload it and decide again`,
      )
    }
    // One "today" for the whole decision: the screening's deadline, the licence term and its number agree.
    const today = await repository.today(trx)
    const stored = permitOf(row)
    const earlierPremisesId = stored.kind === 'new' || stored.premisesId === null ? undefined : stored.premisesId
    const fresh = await screen(
      trx,
      {
        category: stored.category,
        kind: stored.kind,
        lon: stored.location.lon,
        lat: stored.location.lat,
        input: stored.input,
        earlierPremisesId,
      },
      today,
    )
    if (signature(fresh) !== signature(stored.screening)) {
      await repository.replaceScreening(trx, id, fresh, fresh.checkedAt)
      await appendAudit(trx, actor, { action: 'rescreen', entityType: 'permit', entityId: id, before: stored.screening, after: fresh })
      return { kind: 'rescreened', screening: fresh, version: row.version + 1 }
    }
    let flagged = false
    if (input.decision === 'approve' && fresh.verdict === 'prohibited') {
      if (user.role !== 'supervisor' && user.role !== 'admin') {
        throw new AppError(
          'FORBIDDEN',
          `the screening found ${fresh.conflicts.length} conflict(s): approving needs a supervisor with an override justification`,
        )
      }
      if (!input.overrideJustification)
        throw invalid('body/overrideJustification', 'is required to approve an application whose screening found a conflict')
      flagged = true
    }
    const rectification = checkRectification(input, fresh, today)
    let premisesId: number | null = stored.premisesId
    let licenceNo: string | null = null
    if (input.decision === 'approve') {
      const licensed =
        stored.kind === 'new'
          ? await licenceNewPremises(trx, stored, actor, today)
          : await licenceEarlierPremises(trx, stored, rectification, actor, today)
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
    const permit = permitOf(recorded)
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
function checkRectification(input: CreateDecision, screening: Screening, today: string): Granted | null {
  const guidance = screening.rectification
  if (input.decision !== 'approve' || !guidance) {
    if (input.rectification)
      throw invalid('body/rectification', 'is only for approving a renewal whose screening carries rectification guidance')
    return null
  }
  if (guidance.grantedUntil !== null) {
    throw unprocessable(
      'body/decision',
      `premises ${guidance.premisesId} already had a rectification period until ${guidance.grantedUntil}; no renewal beyond it: reject the application`,
    )
  }
  if (!input.rectification)
    throw invalid(
      'body/rectification',
      'is required: these premises predate a school whose zone they lie in, so a renewal is only a time-limited rectification ({"measure":"relocate"|"close","deadline":"YYYY-MM-DD"})',
    )
  const { measure, deadline } = input.rectification
  const latest = termEnd(screening.category, today)
  if (Number.isNaN(Date.parse(`${deadline}T00:00:00Z`)) || new Date(`${deadline}T00:00:00Z`).toISOString().slice(0, 10) !== deadline) {
    throw invalid('body/rectification/deadline', `${deadline} is not a calendar day`)
  }
  if (deadline <= today || deadline > latest)
    throw invalid('body/rectification/deadline', `must be after today (${today}) and at most ${latest}, the end of a normal term`)
  return { measure, deadline }
}

type Licensed = { premisesId: number; licenceNo: string }

async function issueLicenceNo(trx: Transaction<Database>, permit: Permit, licensedOn: string): Promise<string> {
  return licenceNumber(permit.category, permit.countyCode, licensedOn, await repository.nextLicenceSerial(trx))
}

/** A `new` application's approval: the licensed premises enter the registry, conflicts follow. */
async function licenceNewPremises(trx: Transaction<Database>, permit: Permit, actor: SignedInActor, today: string): Promise<Licensed> {
  const licenceNo = await issueLicenceNo(trx, permit, today)
  const record: PremisesRecord = {
    properties: {
      name: permit.businessName,
      category: permit.category,
      licenceNo,
      licenceStatus: 'active',
      licensedOn: today,
      expiresOn: termEnd(permit.category, today),
      address: permit.address,
      countyCode: permit.countyCode,
    },
    geometry: { type: 'Point', coordinates: [permit.location.lon, permit.location.lat] },
    sourceCrs: permit.input.crs,
    demo: false,
  }
  const premises = await registerPremises(trx, record, actor, { permitId: permit.id })
  return { premisesId: premises.id, licenceNo }
}

/**
 * A renewal, relocation or change rewrites the earlier premises record under a row lock, with its
 * history entry and its conflicts recomputed in the same transaction: a renewal extends the term
 * (to the rectification deadline when one is granted), a relocation moves it (licensed here from
 * today), a change renames it and updates its address.
 */
async function licenceEarlierPremises(
  trx: Transaction<Database>,
  permit: Permit,
  rectification: Granted | null,
  actor: SignedInActor,
  today: string,
): Promise<Licensed> {
  if (permit.premisesId === null)
    throw unprocessable(
      'premisesId',
      `permit ${permit.id} names no earlier premises (submitted before applications had to): reject it and submit it again with premisesId`,
    )
  const before = await lockPremises(trx, permit.premisesId)
  if (!before)
    throw new AppError('CONFLICT', `premises ${permit.premisesId} named by permit ${permit.id} no longer exist: reject the application`)
  const refusal = writeRefusal(actor.user, 'premises', before.properties.countyCode, before.properties.category)
  if (refusal) throw new AppError('FORBIDDEN', `premises ${before.id}: ${refusal}`)
  const properties = { ...before.properties }
  let geometry = before.geometry as PremisesRecord['geometry']
  let sourceCrs = before.properties.sourceCrs
  if (permit.kind === 'renewal') {
    properties.expiresOn = renewedUntil(permit.category, properties.expiresOn, today, rectification?.deadline)
    properties.licenceStatus = 'active'
    properties.licensedOn ??= today
  } else if (permit.kind === 'relocation') {
    geometry = { type: 'Point', coordinates: [permit.location.lon, permit.location.lat] }
    sourceCrs = permit.input.crs
    properties.name = permit.businessName
    properties.address = permit.address
    properties.countyCode = permit.countyCode
    // Licensed at the new place from today: it was not there before any school near it.
    if (properties.expiresOn !== null && properties.expiresOn < today)
      throw new AppError('CONFLICT', `the licence of premises ${before.id} expired on ${properties.expiresOn}; renew it before relocating`)
    properties.licensedOn = today
  } else {
    properties.name = permit.businessName
    properties.address = permit.address
  }
  properties.licenceNo ??= await issueLicenceNo(trx, permit, today)
  const { sourceCrs: _s, demo: _d, version: _v, createdAt: _c, updatedAt: _u, ...stored } = properties
  await rewritePremises(trx, before, { properties: stored, geometry, sourceCrs, demo: before.properties.demo }, actor, {
    permitId: permit.id,
    permitKind: permit.kind,
  })
  return { premisesId: before.id, licenceNo: properties.licenceNo }
}
