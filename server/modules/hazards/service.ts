import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid, notFound } from '../../errors.ts'
import type { SignedInActor, User } from '../../schemas/auth.ts'
import type {
  CreateHazard,
  FiveFixedItem,
  Hazard,
  HazardDetail,
  HazardPage,
  HazardQuery,
  HazardState,
  Transition,
} from '../../schemas/hazards.ts'
import { LICENSING_DEPARTMENTS } from '../../schemas/licensing.ts'
import type { Department, PremisesCategory } from '../../schemas/vocabulary.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import * as repository from './repository.ts'
import type { HazardRow, ReadScope } from './repository.ts'
import { allowedNext, entryProblems, isOpen, partiesOf, plan, type Caller, type HazardFacts } from './states.ts'

type Db = Kysely<Database> | Transaction<Database>

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString())

/**
 * What a user may read: admins, the governance office and the education bureau (every hazard is at a school)
 * all hazards; any other department those it is responsible for, including the zone conflicts of the
 * categories it licenses. County users only their county.
 */
export function readScope(user: User): ReadScope {
  const countyCode = user.role === 'admin' ? undefined : (user.countyCode ?? undefined)
  if (user.role === 'admin' || user.department === 'governance' || user.department === 'education') return { countyCode }
  return { departments: [user.department], categories: repository.categoriesOf(user.department), countyCode }
}

const callerOf = (user: User): Caller => ({ id: user.id, department: user.department, role: user.role, countyCode: user.countyCode })

/** The departments responsible for a hazard: its own, and for a zone conflict those licensing the premises' category. */
export function departmentsOf(row: Pick<HazardRow, 'department' | 'kind' | 'premises_category'>): Department[] {
  const own = row.department as Department
  if (row.kind !== 'zone_conflict' || !row.premises_category) return [own]
  return [...new Set([own, ...(LICENSING_DEPARTMENTS[row.premises_category as PremisesCategory] ?? [])])]
}

export function factsOf(row: HazardRow): HazardFacts {
  return {
    state: row.state,
    countyCode: row.county_code,
    departments: departmentsOf(row),
    grade: row.grade as HazardFacts['grade'],
    fiveFixed: {
      responsibleParty: row.responsible_party,
      measures: row.measures,
      funds: row.funds,
      deadline: row.deadline,
      contingencyPlan: row.contingency_plan,
    },
    rectifiedBy: row.rectified_by,
    extension: row.extension_deadline ? { deadline: row.extension_deadline, requestedBy: row.extension_requested_by } : null,
    hasEvidence: row.has_evidence,
  }
}

/** The API shape of a hazard row. */
export function hazardOf(row: HazardRow): Hazard {
  return {
    id: row.id,
    schoolId: row.school_id,
    schoolName: row.school_name,
    premisesId: row.premises_id,
    premisesName: row.premises_name,
    kind: row.kind as Hazard['kind'],
    grade: row.grade as Hazard['grade'],
    title: row.title,
    description: row.description,
    position: row.position ? { type: 'Point', coordinates: row.position.coordinates } : null,
    source: row.source as Hazard['source'],
    department: row.department as Department,
    countyCode: row.county_code,
    state: row.state,
    closeReason: row.close_reason as Hazard['closeReason'],
    responsibleParty: row.responsible_party,
    measures: row.measures,
    funds: row.funds,
    deadline: row.deadline,
    contingencyPlan: row.contingency_plan,
    extensionRequest: row.extension_deadline
      ? {
          deadline: row.extension_deadline,
          reason: row.extension_reason,
          requestedBy: row.extension_requested_by,
          requestedAt: iso(row.extension_requested_at)!,
        }
      : null,
    rectifiedAt: iso(row.rectified_at),
    rectifiedBy: row.rectified_by,
    awaitingAcceptance: row.state === 'rectifying' && row.rectified_by !== null,
    acceptedAt: iso(row.accepted_at),
    acceptedBy: row.accepted_by,
    reportedUpAt: iso(row.reported_up_at),
    foundAt: iso(row.found_at)!,
    closedAt: iso(row.closed_at),
    conflictClearedAt: iso(row.conflict_cleared_at),
    overdue: row.overdue,
    daysOverdue: Number(row.days_overdue),
    escalation: row.escalation as Hazard['escalation'],
    allowedNext: allowedNext({ state: row.state, rectifiedBy: row.rectified_by }),
    demo: row.demo,
    version: row.version,
    createdBy: row.created_by_name,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  }
}

/** A hazard the user may read, or 404 (a hazard outside the scope does not exist for the caller). */
async function readable(db: Db, id: number, user: User, lock = false): Promise<HazardRow> {
  const row = await repository.findHazard(db, id, { scope: readScope(user), lock })
  if (!row) throw notFound('hazard', id)
  return row
}

/** One page of the ledger within the caller's scope; escalation steps now due are taken first. */
export async function list(db: Kysely<Database>, query: HazardQuery, user: User): Promise<HazardPage> {
  await repository.takeEscalations(db)
  const { rows, numberMatched } = await repository.listHazards(db, readScope(user), {
    ...query,
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  })
  return { numberMatched, numberReturned: rows.length, hazards: rows.map(hazardOf) }
}

/** One hazard with its full history: events, escalation steps taken, attachments. */
export async function get(db: Kysely<Database>, id: number, user: User): Promise<HazardDetail> {
  await repository.takeEscalations(db, [id])
  const row = await readable(db, id, user)
  return detailOf(db, row)
}

async function detailOf(db: Db, row: HazardRow): Promise<HazardDetail> {
  const [events, escalations, attachments] = await Promise.all([
    repository.listEvents(db, row.id),
    repository.listEscalations(db, row.id),
    repository.listAttachments(db, row.id),
  ])
  return {
    ...hazardOf(row),
    events: events.map((e) => ({
      id: Number(e.id),
      action: e.action,
      fromState: e.from_state as HazardState | null,
      toState: e.to_state as HazardState,
      note: e.note,
      fields: e.fields,
      actorId: e.actor,
      actor: e.actor_name,
      at: iso(e.at)!,
    })),
    escalations: escalations.map((e) => ({
      step: e.step as Hazard['escalation'] & string,
      deadline: e.deadline,
      daysOverdue: e.days_overdue,
      at: iso(e.at)!,
    })),
    attachments: attachments.map(attachmentOf),
  }
}

export const attachmentOf = (a: repository.AttachmentRow) => ({
  id: a.id,
  hazardId: a.hazard_id,
  sha256: a.sha256,
  contentType: a.content_type as 'image/jpeg' | 'image/png' | 'application/pdf',
  filename: a.filename,
  bytes: a.bytes,
  phase: a.phase as 'before' | 'after' | 'evidence',
  createdBy: a.created_by_name,
  createdAt: iso(a.created_at)!,
})

/** Departments that may open a hazard for any department: the others open hazards only for themselves. */
const OPEN_FOR_ANY: readonly string[] = ['governance', 'education']
/** Whether a user may enter a hazard in a later state or with a past deadline (taking over a ledger). */
export const mayTakeOver = (user: User) => user.role === 'admin' || (user.department === 'governance' && user.role === 'supervisor')

/** Prepares a hazard for insertion: checks who may open it and what it carries; the county is the school's. */
export async function prepare(db: Db, input: CreateHazard, user: User, today: string, field = 'body'): Promise<repository.NewHazard> {
  if (user.role === 'viewer') throw new AppError('FORBIDDEN', 'viewers cannot open hazards')
  if (user.role !== 'admin' && !OPEN_FOR_ANY.includes(user.department) && input.department !== user.department) {
    throw new AppError('FORBIDDEN', `${field}/department: ${user.department} may open hazards only for itself, not for ${input.department}`)
  }
  const school = await repository.schoolForHazard(db, input.schoolId)
  if (!school) throw new AppError('UNPROCESSABLE', `${field}/schoolId: school ${input.schoolId} does not exist`)
  if (user.role !== 'admin' && user.countyCode && user.countyCode !== school.county_code) {
    throw new AppError('FORBIDDEN', `${field}/schoolId: your scope is county ${user.countyCode}; this school is in ${school.county_code}`)
  }
  let position: [number, number] = [school.lon, school.lat]
  if (input.premisesId !== undefined) {
    const premises = await repository.premisesForHazard(db, input.premisesId)
    if (!premises) throw new AppError('UNPROCESSABLE', `${field}/premisesId: premises ${input.premisesId} does not exist`)
    position = [premises.lon, premises.lat]
  } else if (input.kind === 'zone_conflict') {
    throw invalid(`${field}/premisesId`, 'a zone_conflict hazard names its premises')
  }
  if (input.position) {
    const [lon, lat] = input.position as [number, number]
    if (!(lon >= -180 && lon <= 180)) throw invalid(`${field}/position/0`, 'longitude must be within -180..180')
    if (!(lat >= -90 && lat <= 90)) throw invalid(`${field}/position/1`, 'latitude must be within -90..90')
    position = [lon, lat]
  }
  const state = input.state ?? 'warning'
  if (state !== 'warning' && !mayTakeOver(user)) {
    throw new AppError(
      'FORBIDDEN',
      `${field}/state: only a governance supervisor or an admin may enter a hazard in state ${state} (taking over a ledger); others start at warning`,
    )
  }
  if (input.deadline && input.deadline < today && !mayTakeOver(user)) {
    throw invalid(
      `${field}/deadline`,
      `${input.deadline} is already past (today is ${today}); only a governance supervisor or an admin enters past deadlines`,
    )
  }
  if (input.foundAt) {
    const found = Date.parse(input.foundAt)
    if (found > Date.now() + 5 * 60_000) throw invalid(`${field}/foundAt`, 'lies in the future')
    if (input.deadline && input.deadline < new Date(found).toISOString().slice(0, 10)) {
      throw invalid(`${field}/deadline`, 'is before the day the hazard was found')
    }
  }
  const trim = (value: string | undefined) => (value === undefined ? null : value.trim())
  const fiveFixed: Record<FiveFixedItem, string | null> = {
    responsibleParty: trim(input.responsibleParty),
    measures: trim(input.measures),
    funds: trim(input.funds),
    deadline: input.deadline ?? null,
    contingencyPlan: trim(input.contingencyPlan),
  }
  const problems = entryProblems(state, fiveFixed, input.closeReason)
  if (problems.length) {
    throw new AppError('UNPROCESSABLE', `${field}/${problems[0]!.field}: ${problems[0]!.message}`, {
      problems: problems.map((p) => ({ field: `${field}/${p.field}`, message: p.message })),
    })
  }
  const grade = input.grade ?? 'general'
  return {
    schoolId: school.id,
    premisesId: input.premisesId ?? null,
    kind: input.kind,
    grade,
    title: input.title.trim(),
    description: trim(input.description),
    position,
    source: input.source,
    department: input.department,
    countyCode: school.county_code,
    state,
    closeReason: input.closeReason ?? null,
    ...fiveFixed,
    foundAt: input.foundAt ?? null,
    closed: state === 'closed' || state === 'closed_without_rectification',
    // Major hazards are reported up to the governance office at once (§4).
    reportedUp: grade === 'major' && isOpen(state),
    createdBy: { id: user.id, username: user.username },
  }
}

/** Stores prepared hazards with their first events and audit entries, and takes the escalation steps they are already due. */
export async function store(
  trx: Transaction<Database>,
  prepared: readonly repository.NewHazard[],
  actor: SignedInActor,
  action = 'create',
): Promise<number[]> {
  const ids = await repository.insertHazards(trx, prepared)
  const by = { id: actor.user.id, username: actor.user.username }
  await repository.insertEvents(
    trx,
    prepared.flatMap((h, i) => [
      {
        hazardId: ids[i]!,
        action: 'create',
        fromState: null,
        toState: h.state,
        note: null,
        fields: { source: h.source, foundAt: h.foundAt },
        actor: by,
      },
      ...(h.reportedUp
        ? [
            {
              hazardId: ids[i]!,
              action: 'reported_up',
              fromState: h.state,
              toState: h.state,
              note: '重大隐患，已上报综治办',
              fields: null,
              actor: by,
            },
          ]
        : []),
    ]),
  )
  await repository.takeEscalations(trx, ids)
  for (const id of ids) {
    const row = (await repository.findHazard(trx, id))!
    await appendAudit(trx, actor, { action, entityType: 'hazard', entityId: id, after: hazardOf(row) })
  }
  return ids
}

/** Opens a hazard (POST /api/hazards). */
export async function create(db: Kysely<Database>, input: CreateHazard, actor: SignedInActor): Promise<Hazard> {
  const today = await repository.today(db)
  return db.transaction().execute(async (trx) => {
    const prepared = await prepare(trx, input, actor.user, today)
    if (prepared.kind === 'zone_conflict') {
      const taken = await repository.listHazards(
        trx,
        {},
        {
          kind: 'zone_conflict',
          where: sqlPair(prepared.premisesId!, prepared.schoolId),
          limit: 1,
          offset: 0,
        },
      )
      if (taken.rows[0]) {
        throw new AppError(
          'DUPLICATE',
          `body/premisesId: hazard ${taken.rows[0].id} is already the zone_conflict hazard of these premises and this school`,
        )
      }
    }
    const [id] = await store(trx, [prepared], actor)
    return hazardOf((await repository.findHazard(trx, id!))!)
  })
}

const sqlPair = (premisesId: number, schoolId: number) => sql<boolean>`h.premises_id = ${premisesId} and h.school_id = ${schoolId}`

/**
 * Moves a hazard (POST /api/hazards/{id}/transitions) under a lock of its row: the version must be the one
 * read, the move one the loop allows the caller (states.ts); the event, any report up and the audit entry
 * are written in the same transaction.
 */
export async function transition(db: Kysely<Database>, id: number, body: Transition, actor: SignedInActor): Promise<Hazard> {
  const today = await repository.today(db)
  return db.transaction().execute(async (trx) => {
    const row = await readable(trx, id, actor.user, true)
    if (row.version !== body.version) {
      throw new AppError(
        'VERSION_CONFLICT',
        `version: ${body.version} is stale; hazard ${id} is at version ${row.version} (reload it and try again)`,
        {
          currentVersion: row.version,
        },
      )
    }
    const before = hazardOf(row)
    const move = plan(factsOf(row), callerOf(actor.user), body, today)
    const c = move.changes
    const reportUp = c.grade === 'major' && row.reported_up_at === null && isOpen(move.to)
    const updated = await repository.updateHazard(trx, id, row.version, {
      state: c.state,
      grade: c.grade,
      close_reason: c.closeReason,
      closed: c.closed,
      responsible_party: c.fiveFixed?.responsibleParty,
      measures: c.fiveFixed?.measures,
      funds: c.fiveFixed?.funds,
      deadline: c.deadline ?? c.fiveFixed?.deadline,
      contingency_plan: c.fiveFixed?.contingencyPlan,
      rectified_by: c.rectifiedBy,
      accepted_by: c.acceptedBy,
      extension: c.extension,
      reported_up: reportUp,
    })
    if (!updated) throw new AppError('VERSION_CONFLICT', `version: hazard ${id} changed meanwhile; reload it and try again`)
    const by = { id: actor.user.id, username: actor.user.username }
    await repository.insertEvents(trx, [
      {
        hazardId: id,
        action: move.action,
        fromState: move.from,
        toState: move.to,
        note: body.note?.trim() ?? null,
        fields: move.fields,
        actor: by,
      },
      ...(reportUp
        ? [
            {
              hazardId: id,
              action: 'reported_up',
              fromState: move.to,
              toState: move.to,
              note: '重大隐患，已上报综治办',
              fields: null,
              actor: by,
            },
          ]
        : []),
    ])
    // An approved extension moves the deadline: steps for the old deadline stay recorded, the new one starts clean.
    await repository.takeEscalations(trx, [id])
    const after = hazardOf((await repository.findHazard(trx, id))!)
    await appendAudit(trx, actor, {
      action: move.action === 'transition' ? `transition_${move.to}` : move.action,
      entityType: 'hazard',
      entityId: id,
      before,
      after,
    })
    return after
  })
}

/** Whether the user may change the hazard at all (add attachments): any party to it. */
export function mayWork(user: User, row: HazardRow): boolean {
  return partiesOf(callerOf(user), factsOf(row)).size > 0
}

/** The hazard the user may attach files to, or 404/403: checked when the request arrives, before its body is read. */
export async function attachable(db: Db, id: number, user: User): Promise<void> {
  const row = await readable(db, id, user)
  if (!mayWork(user, row)) {
    throw new AppError(
      'FORBIDDEN',
      `attachments of hazard ${id} are added by the responsible department or the governance office; you are ${user.department} ${user.role}`,
    )
  }
}

export { readable }
