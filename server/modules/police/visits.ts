/**
 * Patrol visits: check-ins from an officer's phone and stays read from a GPX track, matched to the school
 * whose campus lies near (exact geodesic distance, the nearest one).
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, notFound } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import type { SignedInActor, User } from '../../schemas/auth.ts'
import type { CrsName } from '../../schemas/common.ts'
import type { CreateVisit, TrackResult, Visit, VisitQuery } from '../../schemas/police.ts'
import { record as appendAudit, recordMany as appendAuditMany } from '../audit-log/service.ts'
import { readGpxTrack } from './gpx.ts'
import { getPolicy } from './policy.ts'
import { policeWriteRefusal } from './registry.ts'
import * as repository from './repository.ts'
import type { VisitRow } from './repository.ts'
import {
  CHECKIN_RADIUS_M,
  CLOCK_SKEW_MS,
  cstDateOf,
  cstDayRange,
  MAX_TRACK_POINTS,
  STAY_RADIUS_M,
  staysOf,
  type TrackPointMatch,
} from './rules.ts'

type Db = Kysely<Database> | Transaction<Database>

/** How many track points are matched to campuses in one statement. */
const MATCH_BATCH = 2000
/** Visits are reported to 0.1 m, like the other distances. */
const round1 = (metres: number) => Math.round(metres * 10) / 10

/** Row → API visit. */
export function visitOf(row: VisitRow): Visit {
  return {
    id: row.id,
    unitId: row.unit_id,
    schoolId: row.school_id,
    schoolName: row.school_name,
    distanceM: row.distance_m === null ? null : round1(row.distance_m),
    at: new Date(row.at).toISOString(),
    leftAt: row.left_at ? new Date(row.left_at).toISOString() : null,
    source: row.source as Visit['source'],
    location: { lon: row.lon, lat: row.lat },
    accuracyM: row.accuracy_m,
  }
}

/** The unit a visit is recorded for: it exists (404), is active and lies in the caller's county (403). */
async function unitForVisit(db: Db, unitId: number, user: User, field: string) {
  const row = await repository.findRecord(db, 'units', unitId)
  if (!row) throw notFound('patrol unit', unitId)
  const refusal = policeWriteRefusal(user, row.county_code.trim())
  if (refusal) throw new AppError('FORBIDDEN', `${field}: ${refusal}`)
  if (!row.active) throw new AppError('UNPROCESSABLE', `${field}: patrol unit ${unitId} is inactive`)
  return row
}

function refuseFuture(at: number, field: string, now = Date.now()) {
  if (at > now + CLOCK_SKEW_MS)
    throw new AppError(
      'VALIDATION_FAILED',
      `${field}: ${new Date(at).toISOString()} is in the future (the server's time is ${new Date(now).toISOString()})`,
      {
        problems: [{ field, message: 'is in the future' }],
      },
    )
}

/**
 * Records a check-in: the position converted to WGS84 from its CRS, matched to the school whose campus
 * lies nearest within 100 m. The same check-in sent again (same unit, school and time) records nothing new
 * and answers the visit stored the first time.
 */
export async function checkIn(db: Kysely<Database>, input: CreateVisit, actor: SignedInActor): Promise<{ visit: Visit; created: boolean }> {
  const crs: CrsName = input.crs ?? 'wgs84'
  const at = Date.parse(input.at)
  if (!Number.isFinite(at))
    throw new AppError('VALIDATION_FAILED', 'body/at: is not a date-time', {
      problems: [{ field: 'body/at', message: 'is not a date-time' }],
    })
  refuseFuture(at, 'body/at')
  const [lon, lat] = toWgs84(input.lon, input.lat, crs)
  return db.transaction().execute(async (trx) => {
    await unitForVisit(trx, input.unitId, actor.user, 'body/unitId')
    const school = await repository.nearestCampus(trx, lon, lat, CHECKIN_RADIUS_M)
    const [id] = await repository.insertVisits(trx, [
      {
        unitId: input.unitId,
        schoolId: school?.id ?? null,
        at: new Date(at),
        leftAt: null,
        lon,
        lat,
        accuracyM: input.accuracyM ?? null,
        distanceM: school ? school.distance_m : null,
        source: 'checkin',
        sourceCrs: crs,
        createdBy: actor.user.id,
      },
    ])
    const echo = { input: { lon: input.lon, lat: input.lat, crs } }
    if (id === undefined) {
      const existing = await repository.findVisitAt(trx, input.unitId, school?.id ?? null, new Date(at))
      return { visit: { ...visitOf(existing!), ...echo, duplicate: true }, created: false }
    }
    const [row] = await repository.visitsById(trx, [id])
    const visit = { ...visitOf(row!), ...echo }
    await appendAudit(trx, actor, { action: 'create', entityType: 'patrol_visit', entityId: id, after: visit })
    return { visit, created: true }
  })
}

/**
 * Reads a GPX track of a unit and records each stay of at least the policy's minimum dwell within 50 m of
 * a campus as one visit (source track). Stays recorded before (same unit, school and start) are not
 * recorded again, so the same track sent twice records nothing new.
 */
export async function recordTrack(db: Kysely<Database>, unitId: number, gpx: string, actor: SignedInActor): Promise<TrackResult> {
  await unitForVisit(db, unitId, actor.user, 'querystring/unitId')
  const points = await readGpxTrack(gpx, MAX_TRACK_POINTS)
  const now = Date.now()
  points.forEach((p, i) => refuseFuture(p.time, `body/trkpt/${i}/time`, now))
  // Time order (a device may write segments out of order); the sort is stable for equal times.
  const ordered = points.map((p, i) => ({ ...p, i })).sort((a, b) => a.time - b.time)
  const matches: TrackPointMatch[] = ordered.map((p) => ({ time: p.time, lon: p.lon, lat: p.lat, schoolId: null, distanceM: null }))
  for (let start = 0; start < ordered.length; start += MATCH_BATCH) {
    const batch = ordered.slice(start, start + MATCH_BATCH).map((p, k) => ({ i: start + k, lon: p.lon, lat: p.lat }))
    for (const m of await repository.nearestCampusOfPoints(db, batch, STAY_RADIUS_M)) {
      matches[m.i]!.schoolId = m.school_id
      matches[m.i]!.distanceM = m.distance_m
    }
  }
  const policy = await getPolicy(db, cstDateOf(ordered[0]!.time))
  const stays = staysOf(matches, policy.dwellMinMinutes)
  return db.transaction().execute(async (trx) => {
    await unitForVisit(trx, unitId, actor.user, 'querystring/unitId')
    const ids = await repository.insertVisits(
      trx,
      stays.map((s) => ({
        unitId,
        schoolId: s.schoolId,
        at: new Date(s.from),
        leftAt: new Date(s.to),
        lon: s.lon,
        lat: s.lat,
        accuracyM: null,
        distanceM: s.distanceM,
        source: 'track' as const,
        sourceCrs: 'wgs84',
        createdBy: actor.user.id,
      })),
    )
    const visits = (await repository.visitsById(trx, ids)).map(visitOf)
    await appendAuditMany(
      trx,
      actor,
      visits.map((v) => ({ action: 'create', entityType: 'patrol_visit', entityId: v.id, after: { ...v, trackPoints: points.length } })),
    )
    return { visits, points: points.length, stays: stays.length }
  })
}

/** One page of visits, newest first. */
export async function listVisits(db: Kysely<Database>, query: VisitQuery) {
  const range = query.date ? cstDayRange(query.date) : undefined
  const { rows, numberMatched } = await repository.listVisits(db, {
    from: range?.from,
    to: range?.to,
    unitId: query.unitId,
    schoolId: query.schoolId,
    countyCode: query.countyCode,
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  })
  return { numberMatched, numberReturned: rows.length, visits: rows.map(visitOf) }
}
