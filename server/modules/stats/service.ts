import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import type { User } from '../../schemas/auth.ts'
import type { CountyFigures, Stats, StatsQuery } from '../../schemas/stats.ts'
import { OPEN_HAZARD_STATES } from '../../schemas/hazard-vocabulary.ts'
import { complianceTallies } from '../reports/service.ts'
import { todayCst } from '../reports/repository.ts'
import * as repository from './repository.ts'

const OPEN = new Set<string>(OPEN_HAZARD_STATES)

function empty(): CountyFigures {
  return {
    schools: 0,
    urbanSchools: 0,
    zones: 0,
    conflicts: { total: 0, byCategory: {}, byBand: {}, preexisting: 0 },
    hazards: { total: 0, open: 0, overdue: 0, byState: {}, byGrade: {}, openByGrade: {} },
    permitsThisMonth: { decided: 0, approved: 0, rejected: 0, overrides: 0 },
    compliance: { schools: 0, compliant: 0, notCompliant: 0, incomplete: 0, share: 0 },
    patrolToday: { urbanSchools: 0, met: 0, visits: 0, share: 0 },
  }
}

const bump = (counts: Record<string, number>, key: string, n: number) => {
  counts[key] = (counts[key] ?? 0) + n
}

/** Adds one county's figures into the totals. */
function addInto(total: CountyFigures, f: CountyFigures) {
  total.schools += f.schools
  total.urbanSchools += f.urbanSchools
  total.zones += f.zones
  total.conflicts.total += f.conflicts.total
  total.conflicts.preexisting += f.conflicts.preexisting
  for (const [k, n] of Object.entries(f.conflicts.byCategory)) bump(total.conflicts.byCategory, k, n)
  for (const [k, n] of Object.entries(f.conflicts.byBand)) bump(total.conflicts.byBand, k, n)
  total.hazards.total += f.hazards.total
  total.hazards.open += f.hazards.open
  total.hazards.overdue += f.hazards.overdue
  for (const [k, n] of Object.entries(f.hazards.byState)) bump(total.hazards.byState, k, n)
  for (const [k, n] of Object.entries(f.hazards.byGrade)) bump(total.hazards.byGrade, k, n)
  for (const [k, n] of Object.entries(f.hazards.openByGrade)) bump(total.hazards.openByGrade, k, n)
  for (const k of ['decided', 'approved', 'rejected', 'overrides'] as const) total.permitsThisMonth[k] += f.permitsThisMonth[k]
  for (const k of ['schools', 'compliant', 'notCompliant', 'incomplete'] as const) total.compliance[k] += f.compliance[k]
  for (const k of ['urbanSchools', 'met', 'visits'] as const) total.patrolToday[k] += f.patrolToday[k]
}

const shares = (f: CountyFigures) => {
  f.compliance.share = f.compliance.schools === 0 ? 0 : f.compliance.compliant / f.compliance.schools
  f.patrolToday.share = f.patrolToday.urbanSchools === 0 ? 0 : f.patrolToday.met / f.patrolToday.urbanSchools
  return f
}

/**
 * The dashboard's figures per county (the caller's county for a county-scoped user; asking for another is a 403)
 * and in total.
 */
export async function stats(db: Kysely<Database>, query: StatsQuery, user: User, now = new Date()): Promise<Stats> {
  const scoped = user.role === 'admin' ? null : user.countyCode
  if (scoped && query.countyCode && query.countyCode !== scoped)
    throw new AppError('FORBIDDEN', `countyCode: your scope is county ${scoped}, not ${query.countyCode}`)
  const code = query.countyCode ?? scoped ?? undefined
  const today = await todayCst(db)
  const month = today.slice(0, 7)
  const [counties, schools, conflicts, hazards, permits, patrols, compliance] = await Promise.all([
    repository.counties(db, code),
    repository.schoolCounts(db, code),
    repository.conflictCounts(db, code),
    repository.hazardCounts(db, code),
    repository.permitDecisions(db, code, month),
    repository.patrolToday(db, code, today),
    complianceTallies(db, { countyCode: code }),
  ])
  const figures = new Map(counties.map((c) => [c.code, empty()]))
  const of = (county: string) => {
    let f = figures.get(county)
    if (!f) figures.set(county, (f = empty()))
    return f
  }
  for (const s of schools) Object.assign(of(s.county_code), { schools: s.schools, urbanSchools: s.urban, zones: s.zones })
  for (const c of conflicts) {
    const f = of(c.county_code).conflicts
    f.total += c.n
    f.preexisting += c.preexisting
    bump(f.byCategory, c.category, c.n)
    bump(f.byBand, c.band, c.n)
  }
  for (const h of hazards) {
    const f = of(h.county_code).hazards
    f.total += h.n
    f.overdue += h.overdue
    bump(f.byState, h.state, h.n)
    bump(f.byGrade, h.grade, h.n)
    if (OPEN.has(h.state)) {
      f.open += h.n
      bump(f.openByGrade, h.grade, h.n)
    }
  }
  for (const p of permits) {
    const f = of(p.county_code).permitsThisMonth
    f.decided += p.n
    if (p.status === 'approved') f.approved += p.n
    if (p.status === 'rejected') f.rejected += p.n
    f.overrides += p.overrides
  }
  for (const p of patrols) {
    const f = of(p.county_code).patrolToday
    f.urbanSchools += 1
    f.visits += p.visits
    if (p.visits >= p.required) f.met += 1
  }
  for (const [county, c] of compliance.byCounty) Object.assign(of(county).compliance, c)
  const names = new Map(counties.map((c) => [c.code, c.name]))
  const totals = empty()
  const rows = [...figures.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([county, f]) => {
      addInto(totals, f)
      return { code: county, name: names.get(county) ?? county, ...shares(f) }
    })
  return { today, month, counties: rows, totals: shares(totals), generatedAt: now.toISOString() }
}
