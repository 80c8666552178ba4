import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid } from '../../errors.ts'
import type { SignedInActor, User } from '../../schemas/auth.ts'
import type { CreateInspection, Inspection, InspectionPage, InspectionQuery } from '../../schemas/hazards.ts'
import type { InspectionLevel } from '../../schemas/hazard-vocabulary.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import * as repository from './repository.ts'

/**
 * Who records which inspection (日周月): the school's daily one the education bureau's users (the school
 * reports through them), the township's weekly and the county's monthly one the governance office or education.
 */
export const INSPECTION_DEPARTMENTS: Record<InspectionLevel, readonly string[]> = {
  school: ['education'],
  township: ['governance', 'education'],
  county: ['governance', 'education'],
}
/** Whose inbox a missed inspection lands in. */
export const INSPECTION_INBOX: Record<InspectionLevel, string> = { school: 'education', township: 'governance', county: 'governance' }

const iso = (value: Date | string) => new Date(value).toISOString()

const inspectionOf = (row: repository.InspectionRow): Inspection => ({
  id: row.id,
  schoolId: row.school_id,
  level: row.level as InspectionLevel,
  doneAt: iso(row.done_at),
  inspector: row.inspector,
  checklist: row.checklist as Inspection['checklist'],
  findings: row.findings,
  hazardIds: row.hazard_ids,
  countyCode: row.county_code,
  createdBy: row.created_by_name,
  createdAt: iso(row.created_at),
})

/** Records an inspection: the checklist answered once per item, a problem with its note, hazards of this school. */
export async function recordInspection(db: Kysely<Database>, input: CreateInspection, actor: SignedInActor): Promise<Inspection> {
  const { user } = actor
  if (user.role === 'viewer') throw new AppError('FORBIDDEN', 'viewers cannot record inspections')
  if (user.role !== 'admin' && !INSPECTION_DEPARTMENTS[input.level].includes(user.department)) {
    throw new AppError(
      'FORBIDDEN',
      `body/level: a ${input.level} inspection is recorded by ${INSPECTION_DEPARTMENTS[input.level].join(' or ')}, not ${user.department}`,
    )
  }
  const seen = new Set<string>()
  input.checklist.forEach((entry, i) => {
    if (seen.has(entry.item)) throw invalid(`body/checklist/${i}/item`, `${entry.item} is answered twice`)
    seen.add(entry.item)
    if (entry.result === 'problem' && !entry.note)
      throw invalid(`body/checklist/${i}/note`, `a problem with ${entry.item} needs a note saying what is wrong`)
  })
  if (input.doneAt && Date.parse(input.doneAt) > Date.now() + 5 * 60_000) throw invalid('body/doneAt', 'lies in the future')
  return db.transaction().execute(async (trx) => {
    const school = await repository.schoolForHazard(trx, input.schoolId)
    if (!school) throw new AppError('UNPROCESSABLE', `body/schoolId: school ${input.schoolId} does not exist`)
    if (user.role !== 'admin' && user.countyCode && user.countyCode !== school.county_code) {
      throw new AppError('FORBIDDEN', `body/schoolId: your scope is county ${user.countyCode}; this school is in ${school.county_code}`)
    }
    const hazardIds = [...new Set(input.hazardIds ?? [])]
    const found = new Set(await repository.hazardsOfSchool(trx, school.id, hazardIds))
    const stray = hazardIds.findIndex((id) => !found.has(id))
    if (stray >= 0)
      throw new AppError('UNPROCESSABLE', `body/hazardIds/${stray}: hazard ${hazardIds[stray]} is not a hazard of school ${school.id}`)
    const row = await repository.insertInspection(trx, {
      schoolId: school.id,
      level: input.level,
      doneAt: input.doneAt ?? null,
      inspector: input.inspector.trim(),
      checklist: input.checklist.map((c) => ({ item: c.item, result: c.result, ...(c.note ? { note: c.note.trim() } : {}) })),
      findings: input.findings?.trim() ?? null,
      hazardIds,
      countyCode: school.county_code,
      createdBy: { id: user.id, username: user.username },
    })
    const inspection = inspectionOf(row)
    await appendAudit(trx, actor, { action: 'create', entityType: 'inspection', entityId: inspection.id, after: inspection })
    return inspection
  })
}

/** A school's inspections with its schedule (what is due by when, and what is missed). */
export async function listInspections(db: Kysely<Database>, query: InspectionQuery, user: User): Promise<InspectionPage> {
  const school = await repository.schoolForHazard(db, query.schoolId)
  if (!school || (user.role !== 'admin' && user.countyCode && user.countyCode !== school.county_code)) {
    throw new AppError('NOT_FOUND', `querystring/schoolId: school ${query.schoolId} does not exist`)
  }
  const [due, page] = await Promise.all([
    repository.inspectionsDue(db, { schoolId: school.id }),
    repository.listInspections(db, { schoolId: school.id, level: query.level, limit: query.limit ?? 100, offset: query.offset ?? 0 }),
  ])
  return {
    numberMatched: page.numberMatched,
    numberReturned: page.rows.length,
    schedule: due.map((d) => ({
      level: d.level as InspectionLevel,
      every: d.every as 'daily' | 'weekly' | 'monthly',
      lastDoneAt: d.last_done_at ? iso(d.last_done_at) : null,
      dueBy: d.due_by,
      overdue: d.overdue,
    })),
    inspections: page.rows.map(inspectionOf),
  }
}
