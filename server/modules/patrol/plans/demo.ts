import { sql, type Kysely } from 'kysely'
import type { Database } from '../../../db/types.ts'
import { createPlan } from './service.ts'

/** Today's date on the China Standard Time clock. */
export const todayInChina = (now = new Date()) => new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10)

/**
 * The demo's plan for today: for every county with active patrol units and no plan for today yet, the
 * day's plan made by the system (marked demo), so the patrol screen shows routes on first start. The demo
 * loader of the police registry calls it once its stations and units are in; a later start makes today's
 * plan again only where none exists. Returns the ids of the plans made.
 */
export async function planTodayForDemo(
  db: Kysely<Database>,
  log: (message: string) => void = () => {},
  now = new Date(),
): Promise<number[]> {
  const date = todayInChina(now)
  const { rows } = await sql<{ county_code: string }>`
    select distinct s.county_code from patrol_units u join police_stations s on s.id = u.station_id
    where u.active and not exists (
      select 1 from patrol_plans p where p.date = ${date} and p.county_code = s.county_code and p.station_id is null)
    order by s.county_code`.execute(db)
  const made: number[] = []
  for (const { county_code } of rows) {
    const plan = await createPlan(db, { date, countyCode: county_code.trim() }, { user: null, requestId: 'demo-loader' }, { demo: true })
    made.push(plan.id)
    log(
      `demo patrol plan for ${date} in ${county_code.trim()}: ${plan.units.reduce((n, u) => n + u.stops.length, 0)} stops, ${plan.unmet.length} unmet, ${(plan.lengthM / 1000).toFixed(1)} km (lower bound ${(plan.lowerBoundM / 1000).toFixed(1)} km)`,
    )
  }
  return made
}
