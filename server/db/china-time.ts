import { sql } from 'kysely'

/**
 * Today's date in China Standard Time, in SQL. Dates of the policy (a rule's effectiveFrom, a deadline) are civil
 * dates in Guyuan: a rule effective from 1 January takes effect at midnight there, not at 08:00 when UTC's date turns.
 */
export const chinaToday = sql<string>`(now() at time zone 'Asia/Shanghai')::date`
