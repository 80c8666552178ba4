import { sql, type Kysely } from 'kysely'
import { chinaToday } from '../../db/china-time.ts'
import type { Database } from '../../db/types.ts'
import { appendAudit } from '../audit-log/repository.ts'
import { refreshForRule } from './maintenance.ts'

/**
 * A rule's dates take effect on their day, not at the next audit: a rule whose effectiveFrom arrives comes into
 * force at midnight China Standard Time, and one whose effectiveTo arrives lapses then. A change made through the
 * rules API applies at once; what changes with the calendar alone is applied here, for every day since the last
 * run (a service that was stopped over midnight catches up when it starts). With several instances, the one that
 * holds the advisory lock applies it and the others skip; the day is stored in the same transaction, so a day is
 * applied once.
 */

const SETTING = 'rules_applied_on'
// One number for the schedule's advisory lock (the audit-log sealer has its own).
const SCHEDULE_LOCK = 7_304_212_002

/** How often the day is compared (cheap: one read of a setting). */
export const RULE_SCHEDULE_CHECK_MS = 30_000

export interface RuleDateChange {
  ruleId: number
  category: string
  schoolType: string
  /** Whether the rule came into force (its effectiveFrom arrived) or lapsed (its effectiveTo arrived). */
  inForce: boolean
  on: string
}

/** Applies the rule dates that arrived since the last run; answers what changed, or null when another instance ran it. */
export async function applyRuleDates(db: Kysely<Database>): Promise<RuleDateChange[] | null> {
  const { rows: quick } = await sql<{ due: boolean }>`
    select coalesce((select (value #>> '{}')::date < ${chinaToday} from app_settings where key = ${SETTING}), true) as due`.execute(db)
  if (!quick[0]!.due) return []
  return db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${SCHEDULE_LOCK}::bigint) as locked`.execute(trx)
    if (!lock[0]!.locked) return null
    const { rows: state } = await sql<{ applied: string | null; today: string }>`
      select (select value #>> '{}' from app_settings where key = ${SETTING}) as applied, ${chinaToday}::text as today`.execute(trx)
    const { applied, today } = state[0]!
    if (applied !== null && applied >= today) return []
    let changes: RuleDateChange[] = []
    // The first run on a database has nothing to catch up: its conflicts were computed with today's rules.
    if (applied !== null) {
      const { rows } = await sql<{ id: number; category: string; school_type: string; in_force: boolean; on: string }>`
        select id, category, school_type,
               (effective_from <= ${today}::date and (effective_to is null or effective_to > ${today}::date)) as in_force,
               (case when effective_from > ${applied}::date and effective_from <= ${today}::date then effective_from
                     else effective_to end)::text as on
          from rules
         where (effective_from > ${applied}::date and effective_from <= ${today}::date)
            or (effective_to > ${applied}::date and effective_to <= ${today}::date)
         order by id`.execute(trx)
      changes = rows.map((r) => ({ ruleId: r.id, category: r.category, schoolType: r.school_type, inForce: r.in_force, on: r.on }))
      const pairs = new Map(changes.map((c) => [`${c.category}\u0000${c.schoolType}`, c]))
      for (const c of pairs.values()) await refreshForRule(trx, c.category, c.schoolType)
      const actor = { user: null, requestId: `rule-dates-${today}` }
      for (const c of changes)
        await appendAudit(trx, actor, {
          action: 'update',
          entityType: 'rule',
          entityId: c.ruleId,
          after: {
            inForce: c.inForce,
            reason: c.inForce ? `effectiveFrom ${c.on} arrived: the rule is in force` : `effectiveTo ${c.on} arrived: the rule lapsed`,
          },
        })
    }
    await sql`insert into app_settings (key, value) values (${SETTING}, ${JSON.stringify(today)}::jsonb)
      on conflict (key) do update set value = excluded.value, updated_at = now()`.execute(trx)
    return changes
  })
}
