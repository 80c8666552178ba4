/**
 * The patrol policy as versioned data: visits per urban school a day, the least gap between two visits to
 * one school, the dwell, the peak windows, which schools get a post at which window, travel speeds.
 * Versions are never edited; a new one takes effect on its date, and the one in force on a date is the
 * highest version whose effectiveFrom is not after it.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, type FieldProblem } from '../../errors.ts'
import type { SignedInActor } from '../../schemas/auth.ts'
import type { CreatePolicy, PeakWindow, Policy, Post } from '../../schemas/police.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import * as repository from './repository.ts'
import type { PolicyRow } from './repository.ts'
import { cstDateOf, isCalendarDate, peakWindowProblems } from './rules.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Row → API policy. */
export function policyOf(row: PolicyRow): Policy {
  return {
    id: row.id,
    version: row.version,
    effectiveFrom: row.effective_from,
    visitsPerUrbanSchool: row.visits_per_urban_school,
    minGapMinutes: row.min_gap_minutes,
    dwellMinMinutes: row.dwell_min_minutes,
    dwellMaxMinutes: row.dwell_max_minutes,
    peakWindows: row.peak_windows as PeakWindow[],
    posts: row.posts as Post[],
    carSpeedKmh: Number(row.car_speed_kmh),
    footSpeedKmh: Number(row.foot_speed_kmh),
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  }
}

/** The policy in force on a date (YYYY-MM-DD, China Standard Time; today when absent). */
export async function getPolicy(db: Db, date: string = cstDateOf(Date.now())): Promise<Policy> {
  if (!isCalendarDate(date))
    throw new AppError('VALIDATION_FAILED', `querystring/date: ${date} is not a calendar date`, {
      problems: [{ field: 'querystring/date', message: 'is not a calendar date' }],
    })
  const row = await repository.policyOn(db, date)
  if (!row) throw new AppError('NOT_FOUND', `no patrol policy is in force on ${date} (the first took effect later)`)
  return policyOf(row)
}

/** Every version, newest first. */
export async function listPolicies(db: Db): Promise<{ policies: Policy[] }> {
  return { policies: (await repository.listPolicies(db)).map(policyOf) }
}

/** The problems of a complete policy (its fields combined), naming the body's fields. */
export function policyProblems(p: Omit<Policy, 'id' | 'version' | 'reason' | 'createdBy' | 'createdAt'>): FieldProblem[] {
  const problems: FieldProblem[] = []
  if (p.dwellMaxMinutes < p.dwellMinMinutes)
    problems.push({ field: 'body/dwellMaxMinutes', message: `must be at least dwellMinMinutes (${p.dwellMinMinutes})` })
  if (p.visitsPerUrbanSchool > 1 && (p.visitsPerUrbanSchool - 1) * p.minGapMinutes + p.dwellMinMinutes > 24 * 60)
    problems.push({
      field: 'body/minGapMinutes',
      message: `${p.visitsPerUrbanSchool} visits ${p.minGapMinutes} minutes apart do not fit in a day`,
    })
  problems.push(...peakWindowProblems(p.peakWindows, 'body/peakWindows'))
  const names = new Set(p.peakWindows.map((w) => w.name))
  p.posts.forEach((post, i) => {
    post.windows.forEach((name, j) => {
      if (!names.has(name))
        problems.push({
          field: `body/posts/${i}/windows/${j}`,
          message: `${name} is not one of the peak windows (${[...names].join(', ')})`,
        })
    })
  })
  return problems
}

/**
 * Stores a new version: what the input leaves out is kept from the newest version. It takes effect on
 * effectiveFrom, which may not lie in the past (China Standard Time) nor before the newest version's, so
 * that what was required on a day already passed never changes. The patrol policy is city-wide: a police
 * supervisor with a county scope cannot change it.
 */
export async function createPolicy(db: Kysely<Database>, input: CreatePolicy, actor: SignedInActor): Promise<Policy> {
  const user = actor.user
  if (user.role !== 'admin' && !(user.department === 'police' && user.role === 'supervisor'))
    throw new AppError('FORBIDDEN', 'only a police supervisor or an admin sets the patrol policy')
  if (user.role !== 'admin' && user.countyCode)
    throw new AppError('FORBIDDEN', `the patrol policy is city-wide; your scope is county ${user.countyCode}`)
  if (!isCalendarDate(input.effectiveFrom))
    throw new AppError('VALIDATION_FAILED', `body/effectiveFrom: ${input.effectiveFrom} is not a calendar date`, {
      problems: [{ field: 'body/effectiveFrom', message: 'is not a calendar date' }],
    })
  const today = cstDateOf(Date.now())
  if (input.effectiveFrom < today)
    throw new AppError(
      'UNPROCESSABLE',
      `body/effectiveFrom: ${input.effectiveFrom} is in the past (today is ${today}); a policy is not changed retroactively`,
      {
        problems: [{ field: 'body/effectiveFrom', message: 'is in the past' }],
      },
    )
  return db.transaction().execute(async (trx) => {
    const newest = policyOf((await repository.newestPolicy(trx))!)
    if (input.effectiveFrom < newest.effectiveFrom)
      throw new AppError(
        'UNPROCESSABLE',
        `body/effectiveFrom: must not be before the newest version's (${newest.version}, from ${newest.effectiveFrom})`,
        { problems: [{ field: 'body/effectiveFrom', message: `is before ${newest.effectiveFrom}` }] },
      )
    const merged = {
      effectiveFrom: input.effectiveFrom,
      visitsPerUrbanSchool: input.visitsPerUrbanSchool ?? newest.visitsPerUrbanSchool,
      minGapMinutes: input.minGapMinutes ?? newest.minGapMinutes,
      dwellMinMinutes: input.dwellMinMinutes ?? newest.dwellMinMinutes,
      dwellMaxMinutes: input.dwellMaxMinutes ?? newest.dwellMaxMinutes,
      peakWindows: input.peakWindows ?? newest.peakWindows,
      posts: input.posts ?? newest.posts,
      carSpeedKmh: input.carSpeedKmh ?? newest.carSpeedKmh,
      footSpeedKmh: input.footSpeedKmh ?? newest.footSpeedKmh,
    }
    const problems = policyProblems(merged)
    if (problems.length > 0)
      throw new AppError('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })
    const created = policyOf(
      await repository.insertPolicy(trx, { ...merged, version: newest.version + 1, reason: input.reason, createdBy: user.id }),
    )
    await appendAudit(trx, actor, {
      action: 'create',
      entityType: 'patrol_policy',
      entityId: created.version,
      before: newest,
      after: created,
    })
    return created
  })
}
