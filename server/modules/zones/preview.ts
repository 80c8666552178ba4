import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, type FieldProblem } from '../../errors.ts'
import type { Preview, PreviewResult } from '../../schemas/zones.ts'
import { pairsSql, rulesInForce } from './pairs.ts'
import * as repository from './repository.ts'
import { bandsForLimit, checkBands, ruleOf } from './service.ts'

interface Override {
  category: string
  schoolType: string
  limitM: number
  origin: string
  names: string[]
  edges: number[]
}

/**
 * What a set of proposed rules would do, without saving anything: premises that would newly conflict
 * (with no school today) or be cleared (of every school), by category, county and the bands of their
 * pairs; band changes; and per school, the pairs that would appear or go. Each proposal
 * names a category and optionally a school type (all types when absent); unspecified fields keep the
 * current rule's values.
 */
export async function previewRules(db: Kysely<Database>, preview: Preview): Promise<PreviewResult> {
  const current = (await repository.listRules(db, {})).filter((r) => r.in_force).map(ruleOf)
  const overrides = new Map<string, Override>()
  const problems: FieldProblem[] = []
  preview.rules.forEach((proposal, i) => {
    if (proposal.path === 'walking') {
      throw new AppError('UNPROCESSABLE', `body/rules/${i}/path: walking distance needs the road network, which this service does not have yet`, { problems: [{ field: `body/rules/${i}/path`, message: 'walking is not available yet' }] })
    }
    const targets = current.filter((r) => r.category === proposal.category && (!proposal.schoolType || r.schoolType === proposal.schoolType))
    if (targets.length === 0) problems.push({ field: `body/rules/${i}`, message: `no rule in force for ${proposal.category}${proposal.schoolType ? ` × ${proposal.schoolType}` : ''}` })
    for (const rule of targets) {
      const limitM = proposal.limitM ?? rule.limitM
      const bands = proposal.bands ?? bandsForLimit(rule.bands, limitM)
      const checked = checkBands(bands, limitM, `body/rules/${i}/bands`)
      problems.push(...checked.problems)
      overrides.set(`${rule.category}|${rule.schoolType}`, { category: rule.category, schoolType: rule.schoolType, limitM, origin: proposal.origin ?? rule.origin, names: checked.names, edges: checked.edges })
    }
  })
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.field === p.field && q.message === p.message) === i)
  if (unique.length > 0) throw new AppError('VALIDATION_FAILED', unique.map((p) => `${p.field}: ${p.message}`).join('; '), { problems: unique })

  const list = [...overrides.values()]
  const values = sql.join(
    list.map((o) => sql`(${o.category}::text, ${o.schoolType}::text, ${o.limitM}::float8, ${o.origin}::text, ${repository.textArray(o.names)}, ${repository.floatArray(o.edges)})`),
  )
  const proposedRules: RawBuilder<unknown> = sql`(
    select r.id, r.category, r.school_type, coalesce(o.limit_m, r.limit_m) as limit_m, coalesce(o.origin, r.origin) as origin, r.path,
      coalesce(o.band_names, r.band_names) as band_names, coalesce(o.band_edges, r.band_edges) as band_edges, r.version
    from ${rulesInForce} r
    join (values ${values}) as o(category, school_type, limit_m, origin, band_names, band_edges)
      on o.category = r.category and o.school_type = r.school_type
  )`
  const categories = [...new Set(list.map((o) => o.category))]
  const types = [...new Set(list.map((o) => o.schoolType))]
  const affected = (alias: string) => sql.join(list.map((o) => sql`(${sql.ref(`${alias}.category`)} = ${o.category} and ${sql.ref(`s.school_type`)} = ${o.schoolType})`), sql` or `)

  const { rows: proposed } = await sql<{ premises_id: number; school_id: number; band: string }>`
    select premises_id, school_id, band from (${pairsSql({
      schoolFilter: sql<boolean>`s.school_type in (${sql.join(types)})`,
      premisesFilter: sql<boolean>`p.category in (${sql.join(categories)})`,
      rules: proposedRules,
    })}) found`.execute(db)
  const { rows: existing } = await sql<{ premises_id: number; school_id: number; band: string }>`
    select c.premises_id, c.school_id, c.band from conflicts c join premises p on p.id = c.premises_id join schools s on s.id = c.school_id
    where ${affected('p')}`.execute(db)

  const key = (r: { premises_id: number; school_id: number }) => `${r.premises_id}|${r.school_id}`
  const now = new Map(existing.map((r) => [key(r), r]))
  const next = new Map(proposed.map((r) => [key(r), r]))
  const added = proposed.filter((r) => !now.has(key(r)))
  const cleared = existing.filter((r) => !next.has(key(r)))
  const bandChanged = proposed.filter((r) => now.has(key(r)) && now.get(key(r))!.band !== r.band).length

  const premisesIds = [...new Set([...added, ...cleared].map((r) => r.premises_id))]
  const schoolIds = [...new Set([...added, ...cleared].map((r) => r.school_id))]
  const premises = new Map<number, { category: string; county_code: string }>()
  // A premises is newly conflicting only if it conflicts with no school today, and cleared only if it
  // will conflict with none: its pairs under rules the proposal leaves alone count too.
  const conflictsToday = new Map<number, number>()
  for (let i = 0; i < premisesIds.length; i += 5000) {
    const chunk = premisesIds.slice(i, i + 5000)
    for (const p of await db.selectFrom('premises').select(['id', 'category', 'county_code']).where('id', 'in', chunk).execute()) premises.set(p.id, p)
    for (const c of await db.selectFrom('conflicts').select(['premises_id']).where('premises_id', 'in', chunk).execute()) {
      conflictsToday.set(c.premises_id, (conflictsToday.get(c.premises_id) ?? 0) + 1)
    }
  }
  const schools = new Map<number, string>()
  for (let i = 0; i < schoolIds.length; i += 5000) {
    for (const s of await db.selectFrom('schools').select(['id', 'name']).where('id', 'in', schoolIds.slice(i, i + 5000)).execute()) schools.set(s.id, s.name)
  }
  const count = (pairs: { premises_id: number }[]) => {
    const n = new Map<number, number>()
    for (const pair of pairs) n.set(pair.premises_id, (n.get(pair.premises_id) ?? 0) + 1)
    return n
  }
  const addedBy = count(added)
  const clearedBy = count(cleared)
  const today = (id: number) => conflictsToday.get(id) ?? 0
  const tomorrow = (id: number) => today(id) - (clearedBy.get(id) ?? 0) + (addedBy.get(id) ?? 0)
  const tally = (pairs: { premises_id: number; band: string }[], counts: (id: number) => boolean) => {
    const byCategory: Record<string, number> = {}
    const byCounty: Record<string, number> = {}
    const byBand: Record<string, number> = {}
    const seen = new Set<number>()
    for (const pair of pairs) {
      if (!counts(pair.premises_id)) continue
      byBand[pair.band] = (byBand[pair.band] ?? 0) + 1
      if (seen.has(pair.premises_id)) continue
      seen.add(pair.premises_id)
      const p = premises.get(pair.premises_id)!
      byCategory[p.category] = (byCategory[p.category] ?? 0) + 1
      byCounty[p.county_code.trim()] = (byCounty[p.county_code.trim()] ?? 0) + 1
    }
    return { total: seen.size, byCategory, byCounty, byBand }
  }
  const perSchool = new Map<number, { newlyConflicting: number; cleared: number }>()
  for (const r of added) perSchool.set(r.school_id, { ...(perSchool.get(r.school_id) ?? { newlyConflicting: 0, cleared: 0 }), newlyConflicting: (perSchool.get(r.school_id)?.newlyConflicting ?? 0) + 1 })
  for (const r of cleared) perSchool.set(r.school_id, { ...(perSchool.get(r.school_id) ?? { newlyConflicting: 0, cleared: 0 }), cleared: (perSchool.get(r.school_id)?.cleared ?? 0) + 1 })
  return {
    newlyConflicting: tally(added, (id) => today(id) === 0),
    cleared: tally(cleared, (id) => tomorrow(id) === 0),
    bandChanged,
    unchanged: proposed.length - added.length - bandChanged,
    schools: [...perSchool.entries()]
      .map(([schoolId, counts]) => ({ schoolId, schoolName: schools.get(schoolId) ?? '', ...counts }))
      .sort((a, b) => b.newlyConflicting + b.cleared - (a.newlyConflicting + a.cleared) || a.schoolId - b.schoolId),
  }
}
