import type { Kysely } from 'kysely'
import type { Database } from '../../../db/types.ts'
import { AppError, forbidden, invalid, notFound } from '../../../errors.ts'
import type { Actor, User } from '../../../schemas/auth.ts'
import type { CreatePatrolPlan, PatrolPlan, PatrolPlanPage, PatrolPlanQuery } from '../../../schemas/patrol-plans.ts'
import * as audit from '../../audit-log/service.ts'
import { buildNetwork, routeThrough } from './network.ts'
import { planPatrols, type Mode, type PlannerSchool, type PlannerUnit } from './planner/index.ts'
import * as repository from './repository.ts'

/** A pause for the planner: yields to the event loop once `sliceMs` of work have passed since the last yield, else returns at once. */
export function timeSlicer(sliceMs = 15): () => Promise<void> {
  let last = performance.now()
  return async () => {
    if (performance.now() - last < sliceMs) return
    await new Promise<void>((resolve) => setImmediate(resolve))
    last = performance.now()
  }
}

/** A plan's wall-clock second of its date (China Standard Time) as ISO 8601 with +08:00. */
export function localTime(date: string, seconds: number): string {
  const whole = Math.round(seconds)
  const day = Math.floor(whole / 86400)
  const rest = whole - day * 86400
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + day)
  const hh = String(Math.floor(rest / 3600)).padStart(2, '0')
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0')
  const ss = String(rest % 60).padStart(2, '0')
  return `${d.toISOString().slice(0, 10)}T${hh}:${mm}:${ss}+08:00`
}

/** An instant as ISO 8601 on the China Standard Time clock. */
export const asLocal = (at: Date): string => new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00'

/** Whether a YYYY-MM-DD string names a real calendar day. */
const realDate = (date: string) => {
  const d = new Date(`${date}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date
}

/** The plan's own seed: the date and the scope, so a day's plan is reproducible and differs from the next day's. */
export const seedOf = (date: string, scope: { countyCode: string; stationId?: number }) =>
  `patrol|${date}|${scope.countyCode}|${scope.stationId ?? '-'}`

export interface PlanOptions {
  demo?: boolean
  /** Route schedules the local search may compute (see the planner's searchBudget). */
  searchBudget?: number
}

/**
 * Makes and stores the day's plan for a county or a station: the policy in force on the date, the active
 * units and the schools of the scope, the travel matrix on the road network, the planner, the routes along
 * the roads; then one transaction writes the plan, its units and stops and the audit entry. The actor is a
 * signed-in user through the API (kept to their county), or the system (the demo's first start).
 */
export async function createPlan(
  db: Kysely<Database>,
  body: CreatePatrolPlan,
  actor: Actor,
  options: PlanOptions = {},
): Promise<PatrolPlan> {
  const user = actor.user
  if (!realDate(body.date)) throw invalid('body/date', `${body.date} is not a calendar date`)
  let countyCode = body.countyCode
  let stationId: number | undefined
  if (body.stationId !== undefined) {
    const station = await repository.findStation(db, body.stationId)
    if (!station) throw new AppError('UNPROCESSABLE', `body/stationId: police station ${body.stationId} does not exist`)
    if (countyCode !== undefined && countyCode !== station.countyCode)
      throw new AppError(
        'UNPROCESSABLE',
        `body/countyCode: station ${station.id} belongs to county ${station.countyCode}, not ${countyCode}`,
      )
    countyCode = station.countyCode
    stationId = station.id
  }
  countyCode ??= user?.countyCode ?? undefined
  if (countyCode === undefined) throw invalid('body/countyCode', 'give countyCode or stationId: which county the plan is for')
  if (!(await repository.countyExists(db, countyCode)))
    throw new AppError('UNPROCESSABLE', `body/countyCode: county ${countyCode} does not exist`)
  if (user && user.role !== 'admin' && user.countyCode && user.countyCode !== countyCode)
    throw forbidden(
      `${stationId !== undefined ? `station ${stationId} is in county ${countyCode}` : `county ${countyCode}`}: you plan for county ${user.countyCode} only`,
    )
  const policy = await repository.policyOn(db, body.date)
  if (!policy) throw new AppError('UNPROCESSABLE', `body/date: no patrol policy is in force on ${body.date}`)
  const scope = { countyCode, ...(stationId !== undefined ? { stationId } : {}) }
  const units = await repository.activeUnits(db, stationId !== undefined ? { stationId } : { countyCode })
  const schools = await repository.schoolsInScope(db, scope)

  // Places: every school's gates (or a campus point when it has none), then the units' bases.
  const points: [number, number][] = []
  const plannerSchools: PlannerSchool[] = schools.map((s) => {
    const gates = s.gates.map((g) => points.push(g) - 1)
    const visit = gates[0] ?? points.push(s.inside) - 1
    return { id: s.id, name: s.name, urban: s.urban, students: s.students, gates, visitLocation: visit, peakWindows: s.peakWindows }
  })
  const baseOf = units.map((u) => points.push(u.base) - 1)
  const modes = [...new Set(units.map((u) => u.mode))]
  const pause = timeSlicer()
  const networkStarted = performance.now()
  const net = await buildNetwork(db, points, modes, pause)
  const networkSeconds = (performance.now() - networkStarted) / 1000
  const onNetwork = (mode: Mode, i: number) => net.places[mode]?.[i] != null
  const anyMode = (i: number) => modes.some((m) => onNetwork(m, i))
  const plannerUnits: PlannerUnit[] = units.map((u, i) => ({
    id: u.id,
    name: u.name,
    mode: u.mode,
    shiftStart: u.shiftStart,
    shiftEnd: u.shiftEnd,
    base: onNetwork(u.mode, baseOf[i]!) ? baseOf[i]! : null,
  }))
  for (const s of plannerSchools) {
    s.gates = s.gates.map((g) => (g !== null && anyMode(g) ? g : null))
    s.visitLocation = s.visitLocation !== null && anyMode(s.visitLocation) ? s.visitLocation : null
  }
  const seed = seedOf(body.date, scope)
  const result = await planPatrols({
    date: body.date,
    seed,
    policy,
    units: plannerUnits,
    schools: plannerSchools,
    travel: net.matrix,
    pause,
    ...(options.searchBudget !== undefined ? { searchBudget: options.searchBudget } : {}),
  })
  // Units whose base is off the roads of their mode take no part; the plan says which.
  const unitsOffNetwork = units.filter((_, i) => plannerUnits[i]!.base === null).map((u) => u.id)
  const routesStarted = performance.now()
  const planUnits: repository.NewPlan['units'] = []
  for (const planned of result.units)
    planUnits.push({
      unitId: planned.unitId,
      lengthM: planned.lengthM,
      route: planned.path.length > 0 ? await routeThrough(net, planned.mode, planned.path, pause) : null,
      stops: planned.stops.map((s) => ({
        kind: s.kind,
        schoolId: s.schoolId,
        gate: s.gate,
        at: points[s.location]!,
        arriveAt: localTime(body.date, s.arriveAt),
        departAt: localTime(body.date, s.departAt),
      })),
    })
  const routesSeconds = (performance.now() - routesStarted) / 1000
  const id = await db.transaction().execute(async (trx) => {
    const planId = await repository.insertPlan(trx, {
      date: body.date,
      countyCode,
      stationId: stationId ?? null,
      policyVersion: policy.version,
      seed,
      lengthM: result.lengthM,
      lowerBoundM: result.lowerBoundM,
      nearestNeighbourM: result.nearestNeighbourM,
      solver: { ...result.solver, networkSeconds, routesSeconds, nearestNeighbourVisits: result.nearestNeighbourVisits, unitsOffNetwork },
      schools: result.schools,
      unmet: result.unmet,
      demo: options.demo ?? false,
      createdBy: user?.id ?? null,
      units: planUnits,
    })
    await audit.record(trx, actor, {
      action: 'create',
      entityType: 'patrol_plan',
      entityId: planId,
      after: {
        date: body.date,
        countyCode,
        stationId: stationId ?? null,
        policyVersion: policy.version,
        units: planUnits.length,
        stops: planUnits.reduce((n, u) => n + u.stops.length, 0),
        unmet: result.unmet.length,
        lengthM: result.lengthM,
      },
    })
    return planId
  })
  return readPlan(db, id)
}

async function readPlan(db: Kysely<Database>, id: number): Promise<PatrolPlan> {
  const plan = await repository.findPlan(db, id)
  if (!plan) throw notFound('patrol plan', id)
  const units = await repository.planUnits(db, id)
  const stops = await repository.planStops(db, id)
  return {
    id: plan.id,
    date: plan.date,
    countyCode: plan.countyCode,
    stationId: plan.stationId,
    policyVersion: plan.policyVersion,
    seed: plan.seed,
    units: units.map((u) => ({
      unitId: u.unitId,
      name: u.name,
      mode: u.mode,
      stops: stops
        .filter((s) => s.unitId === u.unitId)
        .map((s) => ({
          kind: s.kind,
          schoolId: s.schoolId,
          ...(s.gate !== null ? { gate: s.gate } : {}),
          lon: s.lon,
          lat: s.lat,
          arriveAt: asLocal(s.arriveAt),
          departAt: asLocal(s.departAt),
        })),
      route: u.route,
      lengthM: u.lengthM,
    })),
    schools: plan.schools as PatrolPlan['schools'],
    unmet: plan.unmet as PatrolPlan['unmet'],
    lengthM: plan.lengthM,
    lowerBoundM: plan.lowerBoundM,
    nearestNeighbourM: plan.nearestNeighbourM,
    solver: plan.solver,
    createdAt: plan.createdAt.toISOString(),
  }
}

/** Whether a user may read a plan of a county: county-scoped users only their own. */
const mayRead = (user: User, county: string | null) => user.role === 'admin' || !user.countyCode || user.countyCode === county

/** One plan with its units, stops and routes (404 outside the reader's county). */
export async function getPlan(db: Kysely<Database>, id: number, user: User): Promise<PatrolPlan> {
  const head = await repository.findPlan(db, id)
  if (!head || !mayRead(user, head.scopeCounty)) throw notFound('patrol plan', id)
  return readPlan(db, id)
}

/** Plans by date, county and station, newest first, within the reader's county. */
export async function listPlans(db: Kysely<Database>, query: PatrolPlanQuery, user: User): Promise<PatrolPlanPage> {
  if (query.date && !realDate(query.date)) throw invalid('querystring/date', `${query.date} is not a calendar date`)
  const own = user.role === 'admin' ? undefined : (user.countyCode ?? undefined)
  if (own && query.countyCode && query.countyCode !== own) return { numberMatched: 0, numberReturned: 0, plans: [] }
  const countyCode = query.countyCode ?? own
  const { rows, numberMatched } = await repository.listPlans(db, {
    ...(query.date ? { date: query.date } : {}),
    ...(countyCode ? { countyCode } : {}),
    ...(query.stationId ? { stationId: query.stationId } : {}),
    limit: query.limit ?? 50,
    offset: query.offset ?? 0,
  })
  return {
    numberMatched,
    numberReturned: rows.length,
    plans: rows.map((r) => ({
      id: r.id,
      date: r.date,
      countyCode: r.countyCode,
      stationId: r.stationId,
      policyVersion: r.policyVersion,
      units: r.units,
      stops: r.stops,
      unmet: r.unmet.length,
      lengthM: r.lengthM,
      lowerBoundM: r.lowerBoundM,
      createdAt: r.createdAt.toISOString(),
    })),
  }
}

/** What a unit's exports need: the plan, the unit with its stops and route, and the schools it stops at. */
export async function unitSheet(db: Kysely<Database>, planId: number, unitId: number, user: User) {
  const plan = await getPlan(db, planId, user)
  const unit = plan.units.find((u) => u.unitId === unitId)
  if (!unit) throw notFound(`unit of patrol plan ${planId}`, unitId)
  const units = await repository.planUnits(db, planId)
  const row = units.find((u) => u.unitId === unitId)!
  const station = await repository.findStation(db, row.stationId)
  const schools = await repository.schoolDetails(
    db,
    unit.stops.map((s) => s.schoolId),
  )
  return { plan, unit, base: row.base, shiftStart: row.shiftStart, shiftEnd: row.shiftEnd, station, schools }
}
export type UnitSheet = Awaited<ReturnType<typeof unitSheet>>
