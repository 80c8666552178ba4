import { sql, type Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { User } from '../../schemas/auth.ts'
import type { Inbox, InboxItem } from '../../schemas/hazards.ts'
import type { InspectionLevel } from '../../schemas/hazard-vocabulary.ts'
import { INSPECTION_INBOX } from './inspections.ts'
import * as repository from './repository.ts'
import { hazardOf, readScope } from './service.ts'

/** At most this many items are listed; the counts cover all. */
const INBOX_LIMIT = 200

/**
 * What waits for the caller's department: its open hazards (assigned), the overdue ones, rectifications
 * awaiting acceptance, extension requests to decide, major hazards reported up (the governance office), and
 * missed inspections. Each hazard is listed once under its most pressing reason; the counts are per reason.
 */
export async function inbox(db: Kysely<Database>, user: User): Promise<Inbox> {
  await repository.takeEscalations(db)
  const scope = readScope(user)
  const governance = user.role === 'admin' || user.department === 'governance'
  const supervisor = user.role === 'supervisor' || user.role === 'admin'
  const own =
    user.department === 'governance' || user.role === 'admin'
      ? sql<boolean>`h.department = ${user.department === 'admin' ? 'governance' : user.department}`
      : sql<boolean>`(h.department = ${user.department} or (h.kind = 'zone_conflict' and p.category = any(${repository.categoriesOf(user.department)}::text[])))`
  const awaiting = sql<boolean>`(h.state = 'rectifying' and h.rectified_by is not null)`
  const extension = sql<boolean>`h.extension_deadline is not null`
  const reportedUp = sql<boolean>`(h.grade = 'major' and h.reported_up_at is not null)`
  const overdue = repository.overdueSql()
  const mine = governance ? sql<boolean>`true` : own
  const where = sql<boolean>`(${own} or (${overdue} and ${mine})
    ${governance || supervisor ? sql`or (${awaiting} and ${mine})` : sql``}
    ${governance ? sql`or ${extension} or ${reportedUp}` : sql``})`
  const { rows } = await repository.listHazards(db, scope, { open: true, where, limit: 100_000, offset: 0 })
  const counts: Record<string, number> = {
    assigned: 0,
    overdue: 0,
    awaiting_acceptance: 0,
    extension_request: 0,
    reported_up: 0,
    inspection_overdue: 0,
  }
  const items: InboxItem[] = []
  for (const row of rows) {
    const hazard = hazardOf(row)
    const reasons: InboxItem['reason'][] = []
    if (hazard.overdue) reasons.push('overdue')
    if (hazard.awaitingAcceptance && (governance || supervisor)) reasons.push('awaiting_acceptance')
    if (hazard.extensionRequest && governance) reasons.push('extension_request')
    if (hazard.reportedUpAt && hazard.grade === 'major' && governance) reasons.push('reported_up')
    const isOwn = user.department === 'governance' || user.role === 'admin' ? row.department === 'governance' : true
    if (isOwn) reasons.push('assigned')
    for (const reason of reasons) counts[reason]! += 1
    if (reasons.length && items.length < INBOX_LIMIT) items.push({ reason: reasons[0]!, hazard, inspection: null })
  }
  const levels = (Object.keys(INSPECTION_INBOX) as InspectionLevel[]).filter(
    (level) => user.role === 'admin' || INSPECTION_INBOX[level] === user.department,
  )
  if (levels.length) {
    const missed = await repository.inspectionsDue(db, { levels, countyCode: scope.countyCode, overdueOnly: true })
    counts.inspection_overdue = missed.length
    for (const m of missed.slice(0, Math.max(0, INBOX_LIMIT - items.length))) {
      items.push({
        reason: 'inspection_overdue',
        hazard: null,
        inspection: {
          schoolId: m.school_id,
          schoolName: m.school_name,
          level: m.level as InspectionLevel,
          every: m.every as 'daily' | 'weekly' | 'monthly',
          lastDoneAt: m.last_done_at ? new Date(m.last_done_at).toISOString() : null,
          dueBy: m.due_by,
        },
      })
    }
  }
  const order: InboxItem['reason'][] = [
    'overdue',
    'reported_up',
    'extension_request',
    'awaiting_acceptance',
    'inspection_overdue',
    'assigned',
  ]
  items.sort((a, b) => order.indexOf(a.reason) - order.indexOf(b.reason))
  return { department: user.department, counts, numberReturned: items.length, items }
}
