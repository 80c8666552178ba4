/**
 * Coverage: for each school of a county (or a station's grids) on a day, the visits the policy requires,
 * those the newest plan has, and those done, counted as the policy counts them; per station the share
 * of its urban schools that got what they required. Also the week view and the equipment gaps (zones
 * without a sign, gates without a working camera).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, notFound } from '../../errors.ts'
import type { User } from '../../schemas/auth.ts'
import type { Coverage, CoverageQuery, EquipmentGaps, SchoolCoverage, WeekCoverage } from '../../schemas/police.ts'
import { getPolicy } from './policy.ts'
import * as repository from './repository.ts'
import { addDays, countedVisits, cstDateOf, cstDayRange, isCalendarDate } from './rules.ts'

/** A working camera this close to a gate watches it even when it does not name the gate. */
export const CAMERA_NEAR_GATE_M = 30

function checkDate(date: string, field: string) {
  if (!isCalendarDate(date))
    throw new AppError('VALIDATION_FAILED', `${field}: ${date} is not a calendar date`, {
      problems: [{ field, message: 'is not a calendar date' }],
    })
}

/** The scope of a report: the query's county (a county-scoped user's own when the query names none) and station. */
async function scopeOf(db: Kysely<Database>, query: { countyCode?: string | undefined; stationId?: number | undefined }, user: User) {
  const countyCode = query.countyCode ?? user.countyCode ?? undefined
  if (query.stationId !== undefined && !(await repository.stationCounty(db, query.stationId)))
    throw notFound('police station', query.stationId)
  return { countyCode, stationId: query.stationId }
}

/** Coverage of one day (China Standard Time). */
export async function coverageOn(db: Kysely<Database>, query: CoverageQuery, user: User): Promise<Coverage> {
  const date = query.date ?? cstDateOf(Date.now())
  checkDate(date, 'querystring/date')
  return dayCoverage(db, date, await scopeOf(db, query, user))
}

async function dayCoverage(
  db: Kysely<Database>,
  date: string,
  scope: { countyCode?: string | undefined; stationId?: number | undefined },
): Promise<Coverage> {
  const policy = await getPolicy(db, date)
  const { from, to } = cstDayRange(date)
  const [schools, stations, planned] = await Promise.all([
    repository.coverageSchools(db, scope),
    repository.coverageStations(db, scope),
    repository.plannedVisits(db, date),
  ])
  // A station's grids may reach schools outside the listed county: their visits are counted too.
  const ids = [...new Set([...schools.map((s) => s.id), ...stations.flatMap((s) => s.school_ids)])]
  const [times, last] = await Promise.all([repository.visitTimes(db, ids, from, to), repository.lastVisits(db, ids, to)])
  const done = (id: number) => countedVisits(times.get(id) ?? [], policy.minGapMinutes)
  const rows: SchoolCoverage[] = schools.map((s) => {
    const required = s.urban ? policy.visitsPerUrbanSchool : 0
    const count = done(s.id)
    return {
      schoolId: s.id,
      schoolName: s.name,
      countyCode: s.county_code,
      urban: s.urban,
      required,
      planned: planned.get(s.id)?.planned ?? 0,
      done: count,
      lastVisitAt: last.get(s.id)?.toISOString() ?? null,
      below: count < required,
    }
  })
  const planIds = schools.map((s) => planned.get(s.id)?.planId).filter((id): id is number => id !== undefined)
  return {
    date,
    policyVersion: policy.version,
    planId: planIds.length > 0 ? Math.max(...planIds) : null,
    schools: rows,
    stations: stations.map((st) => {
      const meeting = st.school_ids.filter((id) => done(id) >= policy.visitsPerUrbanSchool).length
      return {
        stationId: st.id,
        name: st.name,
        countyCode: st.county_code,
        urbanSchools: st.school_ids.length,
        meeting,
        compliance: st.school_ids.length === 0 ? null : Math.round((meeting / st.school_ids.length) * 1000) / 1000,
      }
    }),
  }
}

/** Seven days of coverage from `start` (default: the seven days ending today), per school per day. */
export async function weekCoverage(
  db: Kysely<Database>,
  query: { start?: string | undefined; countyCode?: string | undefined; stationId?: number | undefined },
  user: User,
): Promise<WeekCoverage> {
  const start = query.start ?? addDays(cstDateOf(Date.now()), -6)
  checkDate(start, 'querystring/start')
  const scope = await scopeOf(db, query, user)
  const dates = Array.from({ length: 7 }, (_, i) => addDays(start, i))
  const days: Coverage[] = []
  for (const date of dates) days.push(await dayCoverage(db, date, scope))
  const first = days[0]!
  return {
    start,
    end: dates[6]!,
    dates,
    schools: first.schools.map((s, k) => {
      const perDay = days.map((d) => {
        const row = d.schools[k]!
        return { date: d.date, required: row.required, planned: row.planned, done: row.done, below: row.below }
      })
      return {
        schoolId: s.schoolId,
        schoolName: s.schoolName,
        countyCode: s.countyCode,
        urban: s.urban,
        days: perDay,
        daysBelow: perDay.filter((d) => d.below).length,
      }
    }),
    stations: first.stations.map((st, k) => ({
      stationId: st.stationId,
      name: st.name,
      countyCode: st.countyCode,
      compliance: days.map((d) => d.stations[k]!.compliance),
    })),
  }
}

/** Zones without an installed warning sign and gates without a working camera, in a county or the whole city. */
export async function equipmentGaps(db: Kysely<Database>, query: { countyCode?: string | undefined }, user: User): Promise<EquipmentGaps> {
  const countyCode = query.countyCode ?? user.countyCode ?? undefined
  const [schools, signs, gates] = await Promise.all([
    repository.countSchools(db, countyCode),
    repository.schoolsWithoutSign(db, countyCode),
    repository.gatesWithoutCamera(db, countyCode, CAMERA_NEAR_GATE_M),
  ])
  return {
    schools,
    zonesWithoutSign: signs.map((s) => ({ schoolId: s.id, schoolName: s.name, countyCode: s.county_code, signs: s.signs })),
    gatesWithoutCamera: gates.map((g) => ({
      schoolId: g.id,
      schoolName: g.name,
      countyCode: g.county_code,
      gate: g.gate,
      position: [g.lon, g.lat],
      cameras: g.cameras,
    })),
  }
}
