import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid } from '../../errors.ts'
import type { User } from '../../schemas/auth.ts'
import type { PremisesCategory } from '../../schemas/common.ts'
import { CATEGORY_NAMES, PERMIT_KIND_NAMES, PERMIT_STATUS_NAMES, SCHOOL_TYPE_NAMES } from '../../schemas/labels.ts'
import { LICENSING_DEPARTMENTS } from '../../schemas/licensing.ts'
import type { ReportName, ReportQuery } from '../../schemas/reports.ts'
import { FINDING_CODES, type Dormitory, type FindingCode } from '../../schemas/staffing.ts'
import { staffingCompliance } from '../schools-file/compliance.ts'
import { BAND_NAMES, HAZARD_GRADE_NAMES, HAZARD_KIND_NAMES, HAZARD_STATE_NAMES } from '../schools-file/labels.ts'
import { BATCH_SIZE, dayOf, type Column, type Report, type Row, type SummaryTable } from './model.ts'
import * as repository from './repository.ts'
import type { ReportScope } from './repository.ts'

/**
 * Every row of a keyset-paged read, a batch at a time: `keyOf` gives the key after a batch's last row, and a short
 * batch is the last (no read past the end).
 */
async function* pages<T, K>(
  read: (after: K | undefined, limit: number) => Promise<T[]>,
  keyOf: (last: T) => K,
  limit = BATCH_SIZE,
): AsyncGenerator<T[]> {
  for (let after: K | undefined; ;) {
    const batch = await read(after, limit)
    if (batch.length === 0) return
    yield batch
    if (batch.length < limit) return
    after = keyOf(batch.at(-1)!)
  }
}

/** The same, keyed by id (0 before the first). */
const idPages = <T extends { id: number }>(read: (after: number, limit: number) => Promise<T[]>) =>
  pages(
    (after: number | undefined, n) => read(after ?? 0, n),
    (row) => row.id,
  )

const DEPARTMENT_NAMES: Record<string, string> = {
  education: '教育局',
  tobacco: '烟草专卖局',
  lottery_welfare: '民政局（福利彩票）',
  lottery_sports: '体育局（体育彩票）',
  culture: '文化旅游广电局',
  emergency: '应急管理局',
  environment: '生态环境局',
  market: '市场监管局',
  police: '公安局',
  governance: '综治办',
  admin: '系统管理',
}
const FINDING_NAMES: Record<FindingCode, string> = {
  guards: '专职保安员',
  doctor: '校医',
  psychology_teacher: '心理健康教育教师',
  dormitory_manager: '宿舍管理员',
  dormitory_female_manager: '女生宿舍楼女性管理员',
  dormitories_recorded: '宿舍楼登记',
  police_alarm: '报警接入公安',
}
const STATUS_NAMES: Record<string, string> = { compliant: '达标', not_compliant: '不达标', incomplete: '信息不全' }
/** Reading a whole year of daily patrol rows is the most a report asks for. */
const MAX_PATROL_DAYS = 366
const DEFAULT_PATROL_DAYS = 7

const categoriesOf = (department: string) =>
  (Object.keys(LICENSING_DEPARTMENTS) as PremisesCategory[]).filter((c) => LICENSING_DEPARTMENTS[c].includes(department as never))
const sees = (user: User, ...departments: string[]) => user.role === 'admin' || departments.includes(user.department)

/** A real calendar date, or a 400 naming the field. */
function checkDate(value: string | undefined, field: string) {
  if (!value) return
  const date = new Date(`${value}T00:00:00Z`)
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) throw invalid(field, `${value} is not a calendar date`)
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

/** Which filters each report takes; any other is a 400 naming it. */
const APPLIES: Record<ReportName, readonly (keyof ReportQuery)[]> = {
  conflicts: ['countyCode', 'department', 'category', 'from', 'to'],
  hazards: ['countyCode', 'department', 'category', 'from', 'to'],
  compliance: ['countyCode'],
  permits: ['countyCode', 'department', 'category', 'from', 'to'],
  patrols: ['countyCode', 'from', 'to'],
}

/**
 * The rows a report covers: the request's filters checked and narrowed to the caller's scope. A county-scoped
 * user reads only their county; a licensing department its own categories (conflicts, permits); a department
 * other than the governance office and the education bureau the hazards it is responsible for; patrol coverage
 * is for the police, the governance office and the education bureau. Asking beyond one's scope is a 403.
 */
export function resolveScope(name: ReportName, query: ReportQuery, user: User, today: string): ReportScope {
  for (const field of Object.keys(query) as (keyof ReportQuery)[])
    if (query[field] !== undefined && !APPLIES[name].includes(field))
      throw invalid(`querystring/${field}`, `does not apply to the ${name} report (it takes ${APPLIES[name].join(', ')})`)
  checkDate(query.from, 'querystring/from')
  checkDate(query.to, 'querystring/to')
  if (query.from && query.to && query.from > query.to) throw invalid('querystring/to', `must not be before from (${query.from})`)

  const scope: ReportScope = { from: query.from, to: query.to }
  const userCounty = user.role === 'admin' ? null : user.countyCode
  if (userCounty && query.countyCode && query.countyCode !== userCounty)
    throw new AppError('FORBIDDEN', `countyCode: your scope is county ${userCounty}, not ${query.countyCode}`)
  scope.countyCode = query.countyCode ?? userCounty ?? undefined

  if (name === 'conflicts' || name === 'permits') {
    let categories: string[] | undefined
    if (query.department) {
      categories = categoriesOf(query.department)
      if (categories.length === 0) throw invalid('querystring/department', `${query.department} licenses no premises category`)
    }
    if (query.category) {
      if (categories && !categories.includes(query.category))
        throw invalid('querystring/category', `${query.category} is not licensed by ${query.department}`)
      categories = [query.category]
    }
    const own = categoriesOf(user.department)
    const unrestricted = sees(user, 'governance') || (name === 'conflicts' && sees(user, 'education', 'police'))
    if (!unrestricted) {
      if (own.length === 0) throw new AppError('FORBIDDEN', `the ${name} report is not for the ${user.department} department`)
      const outside = (categories ?? []).filter((c) => !own.includes(c as PremisesCategory))
      if (outside.length > 0)
        throw new AppError(
          'FORBIDDEN',
          `${query.category ? 'category' : 'department'}: ${outside.join(', ')} is outside your department's categories`,
        )
      categories = categories ?? own
    }
    scope.categories = categories
  }
  if (name === 'hazards') {
    if (query.category) scope.categories = [query.category]
    scope.department = query.department
    if (!sees(user, 'governance', 'education')) {
      if (query.department && query.department !== user.department)
        throw new AppError('FORBIDDEN', `department: you read the hazards of ${user.department}, not of ${query.department}`)
      scope.hazardReader = { department: user.department, categories: categoriesOf(user.department) }
    }
  }
  if (name === 'patrols') {
    if (!sees(user, 'police', 'governance', 'education'))
      throw new AppError(
        'FORBIDDEN',
        `patrol coverage is for the police, the governance office and the education bureau, not ${user.department}`,
      )
    scope.to =
      query.to ??
      (query.from && addDays(query.from, DEFAULT_PATROL_DAYS - 1) < today ? addDays(query.from, DEFAULT_PATROL_DAYS - 1) : today)
    scope.from = query.from ?? addDays(scope.to, -(DEFAULT_PATROL_DAYS - 1))
    if (scope.from > scope.to) throw invalid('querystring/from', `must not be after to (${scope.to})`)
    const days = (Date.parse(`${scope.to}T00:00:00Z`) - Date.parse(`${scope.from}T00:00:00Z`)) / 86_400_000 + 1
    if (days > MAX_PATROL_DAYS) throw invalid('querystring/to', `the patrol report covers at most ${MAX_PATROL_DAYS} days, not ${days}`)
  }
  return scope
}

function filtersText(scope: ReportScope, counties: Map<string, string>, query: ReportQuery): string {
  const parts: string[] = []
  parts.push(scope.countyCode ? `区县 ${counties.get(scope.countyCode) ?? ''}（${scope.countyCode}）` : '区县 全部')
  if (query.department) parts.push(`部门 ${DEPARTMENT_NAMES[query.department] ?? query.department}`)
  if (scope.categories) parts.push(`类别 ${scope.categories.map((c) => CATEGORY_NAMES[c] ?? c).join('、')}`)
  if (scope.hazardReader) parts.push(`${DEPARTMENT_NAMES[scope.hazardReader.department] ?? scope.hazardReader.department}负责的隐患`)
  if (scope.from || scope.to) parts.push(`日期 ${scope.from ?? '…'} 至 ${scope.to ?? '…'}（北京时间）`)
  return parts.join('；')
}

const text = (key: string, header: string): Column => ({ key, header, type: 'text' })
const integer = (key: string, header: string): Column => ({ key, header, type: 'integer' })

/** Counts rows into a table keyed by a label, with one integer column per value, and a total row. */
function pivot(
  title: string,
  labelHeader: string,
  entries: readonly { label: string; values: Record<string, number> }[],
  valueColumns: readonly Column[],
  chartValues: string[],
): SummaryTable {
  const byLabel = new Map<string, Row>()
  for (const entry of entries) {
    const row = byLabel.get(entry.label) ?? { label: entry.label, ...Object.fromEntries(valueColumns.map((c) => [c.key, 0])) }
    for (const [key, value] of Object.entries(entry.values)) row[key] = ((row[key] as number) ?? 0) + value
    byLabel.set(entry.label, row)
  }
  const rows = [...byLabel.values()]
  const total: Row = {
    label: '合计',
    ...Object.fromEntries(valueColumns.map((c) => [c.key, rows.reduce((s, r) => s + (r[c.key] as number), 0)])),
  }
  return {
    title,
    columns: [text('label', labelHeader), ...valueColumns],
    rows: [...rows, total],
    chart: { label: 'label', values: chartValues },
  }
}

/** Builds a report: the summaries now, the items when the writer reads them. */
export async function buildReport(
  db: Kysely<Database>,
  name: ReportName,
  query: ReportQuery,
  user: User,
  now = new Date(),
): Promise<Report> {
  const today = await repository.todayCst(db)
  const scope = resolveScope(name, query, user, today)
  const counties = await repository.countyNames(db)
  const countyLabel = (code: string) => `${counties.get(code) ?? code}（${code}）`
  const base = { name, filters: filtersText(scope, counties, query), generatedAt: now }
  switch (name) {
    case 'conflicts':
      return { ...base, ...(await conflictsReport(db, scope, countyLabel)) }
    case 'hazards':
      return { ...base, ...(await hazardsReport(db, scope, countyLabel)) }
    case 'compliance':
      return { ...base, ...(await complianceReport(db, scope, countyLabel)) }
    case 'permits':
      return { ...base, ...(await permitsReport(db, scope, countyLabel)) }
    case 'patrols':
      return { ...base, ...(await patrolsReport(db, scope as ReportScope & { from: string; to: string }, countyLabel)) }
  }
}

type Built = Omit<Report, 'name' | 'filters' | 'generatedAt'>

async function conflictsReport(db: Kysely<Database>, scope: ReportScope, countyLabel: (code: string) => string): Promise<Built> {
  const tallies = await repository.conflictTallies(db, scope)
  const bands = [...new Set(tallies.map((t) => t.band))].sort()
  const bandColumns = bands.map((b) => integer(`band_${b}`, BAND_NAMES[b] ?? b))
  const values = [integer('total', '冲突总数'), ...bandColumns, integer('preexisting', '先于学校（限期整改）')]
  const entry = (label: string, t: repository.ConflictTally) => ({
    label,
    values: { total: t.n, [`band_${t.band}`]: t.n, preexisting: t.preexisting },
  })
  const cube: SummaryTable = {
    title: '区县×类别×分带',
    columns: [
      text('county', '区县'),
      text('category', '类别'),
      text('band', '分带'),
      integer('n', '冲突数'),
      integer('preexisting', '先于学校'),
    ],
    rows: tallies.map((t) => ({
      county: countyLabel(t.county_code),
      category: CATEGORY_NAMES[t.category] ?? t.category,
      band: BAND_NAMES[t.band] ?? t.band,
      n: t.n,
      preexisting: t.preexisting,
    })),
  }
  return {
    title: '安全区域冲突统计表',
    summaries: [
      pivot(
        '按区县',
        '区县',
        tallies.map((t) => entry(countyLabel(t.county_code), t)),
        values,
        bands.map((b) => `band_${b}`),
      ),
      pivot(
        '按类别',
        '类别',
        tallies.map((t) => entry(CATEGORY_NAMES[t.category] ?? t.category, t)),
        values,
        bands.map((b) => `band_${b}`),
      ),
      cube,
    ],
    itemsTitle: '冲突明细',
    itemColumns: [
      integer('premisesId', '场所编号'),
      text('county', '场所所在区县'),
      text('category', '类别'),
      text('premisesName', '场所名称'),
      text('licenceNo', '许可证号'),
      text('licenceStatus', '许可状态'),
      { key: 'licensedOn', header: '发证日期', type: 'date' },
      { key: 'expiresOn', header: '有效期至', type: 'date' },
      integer('schoolId', '学校编号'),
      text('schoolName', '学校名称'),
      text('schoolType', '学校类型'),
      text('band', '分带'),
      { key: 'distanceM', header: '距离（米）', type: 'number' },
      { key: 'limitM', header: '限值（米）', type: 'number' },
      text('path', '量取方式'),
      { key: 'preexisting', header: '先于学校', type: 'boolean' },
      text('rule', '规则'),
      { key: 'detectedAt', header: '发现时间（北京时间）', type: 'datetime' },
    ],
    items: async function* () {
      const batches = pages(
        (after: [number, number] | undefined, n) => repository.conflictBatch(db, scope, after, n),
        (c): [number, number] => [c.premises_id, c.school_id],
      )
      for await (const batch of batches)
        yield batch.map((c) => ({
          premisesId: c.premises_id,
          county: countyLabel(c.county_code),
          category: CATEGORY_NAMES[c.category] ?? c.category,
          premisesName: c.premises_name,
          licenceNo: c.licence_no,
          licenceStatus: c.licence_status,
          licensedOn: dayOf(c.licensed_on),
          expiresOn: dayOf(c.expires_on),
          schoolId: c.school_id,
          schoolName: c.school_name,
          schoolType: SCHOOL_TYPE_NAMES[c.school_type] ?? c.school_type,
          band: BAND_NAMES[c.band] ?? c.band,
          distanceM: Math.round(c.distance_m * 10) / 10,
          limitM: c.limit_m,
          path: c.path === 'walking' ? '步行' : '直线',
          preexisting: c.preexisting,
          rule: `#${c.rule_id} 第${c.rule_version}版`,
          detectedAt: new Date(c.detected_at),
        }))
    },
  }
}

async function hazardsReport(db: Kysely<Database>, scope: ReportScope, countyLabel: (code: string) => string): Promise<Built> {
  const tallies = await repository.hazardTallies(db, scope)
  const values = [
    integer('total', '隐患总数'),
    integer('open', '未销号'),
    integer('overdue', '已逾期'),
    integer('major', '重大隐患'),
    integer('closed', '已验收/销号'),
  ]
  const entry = (label: string, t: repository.HazardTally) => ({
    label,
    values: { total: t.n, open: t.open, overdue: t.overdue, major: t.grade === 'major' ? t.n : 0, closed: t.n - t.open },
  })
  const byState = pivot(
    '按状态',
    '状态',
    tallies.map((t) => ({ label: HAZARD_STATE_NAMES[t.state] ?? t.state, values: { total: t.n, overdue: t.overdue } })),
    [integer('total', '隐患数'), integer('overdue', '其中逾期')],
    ['total', 'overdue'],
  )
  const byGrade = pivot(
    '按等级',
    '等级',
    tallies.map((t) => ({ label: HAZARD_GRADE_NAMES[t.grade] ?? t.grade, values: { total: t.n, open: t.open, overdue: t.overdue } })),
    [integer('total', '隐患数'), integer('open', '未销号'), integer('overdue', '已逾期')],
    ['open', 'overdue'],
  )
  return {
    title: '学校安全隐患台账统计表',
    summaries: [
      pivot(
        '按区县',
        '区县',
        tallies.map((t) => entry(countyLabel(t.county_code), t)),
        values,
        ['open', 'overdue'],
      ),
      pivot(
        '按责任部门',
        '责任部门',
        tallies.map((t) => entry(DEPARTMENT_NAMES[t.department] ?? t.department, t)),
        values,
        ['open', 'overdue'],
      ),
      byState,
      byGrade,
    ],
    itemsTitle: '隐患明细',
    itemColumns: [
      integer('id', '隐患编号'),
      text('county', '区县'),
      text('school', '学校'),
      text('kind', '类别'),
      text('grade', '等级'),
      text('title', '隐患'),
      text('state', '状态'),
      text('department', '责任部门'),
      text('responsibleParty', '责任人'),
      { key: 'foundAt', header: '发现时间（北京时间）', type: 'datetime' },
      { key: 'deadline', header: '整改期限', type: 'date' },
      { key: 'overdue', header: '逾期', type: 'boolean' },
      text('escalation', '督办'),
      { key: 'closedAt', header: '销号时间（北京时间）', type: 'datetime' },
    ],
    items: async function* () {
      for await (const batch of idPages((after, n) => repository.hazardBatch(db, scope, after, n)))
        yield batch.map((h) => ({
          id: h.id,
          county: countyLabel(h.county_code),
          school: h.school_name,
          kind: HAZARD_KIND_NAMES[h.kind] ?? h.kind,
          grade: HAZARD_GRADE_NAMES[h.grade] ?? h.grade,
          title: h.title,
          state: HAZARD_STATE_NAMES[h.state] ?? h.state,
          department: DEPARTMENT_NAMES[h.department] ?? h.department,
          responsibleParty: h.responsible_party,
          foundAt: new Date(h.found_at),
          deadline: dayOf(h.deadline),
          overdue: Boolean(h.overdue),
          escalation: h.escalation,
          closedAt: h.closed_at === null ? null : new Date(h.closed_at),
        }))
    },
  }
}

function complianceRow(s: repository.SchoolStaffingItem, countyLabel: (code: string) => string) {
  const result = staffingCompliance({
    students: s.students,
    staff: s.staff,
    boarding: s.boarding,
    guards: s.guards,
    doctors: s.doctors,
    psychologyTeachers: s.psychology_teachers,
    dormitories: (s.dormitories as Dormitory[] | null) ?? null,
    alarmLinkedToPolice: s.alarm_linked_to_police,
  })
  const guards = result.findings.find((f) => f.code === 'guards')!
  const row: Row = {
    id: s.id,
    county: countyLabel(s.county_code),
    name: s.name,
    schoolType: SCHOOL_TYPE_NAMES[s.school_type] ?? s.school_type,
    headCount: result.headCount,
    boarding: s.boarding,
    guardsRequired: guards.required as number,
    guards: s.guards,
    doctors: s.doctors,
    psychologyTeachers: s.psychology_teachers,
    alarm: s.alarm_linked_to_police,
    status: STATUS_NAMES[result.status]!,
    notMet: result.findings
      .filter((f) => f.status === 'not_met')
      .map((f) => `${f.clause} ${f.text}`)
      .join('；'),
    unknown: result.findings
      .filter((f) => f.status === 'unknown')
      .map((f) => FINDING_NAMES[f.code])
      .join('、'),
  }
  return { row, result }
}

export interface ComplianceTally {
  schools: number
  compliant: number
  notCompliant: number
  incomplete: number
}

/**
 * The staffing audit of every school in scope, counted per county and per finding. The audit is computed in code,
 * so this takes one pass over the schools, batch by batch, holding only the counts.
 */
export async function complianceTallies(db: Kysely<Database>, scope: ReportScope) {
  const byCounty = new Map<string, ComplianceTally>()
  const byFinding = new Map<FindingCode, { met: number; notMet: number; unknown: number }>(
    FINDING_CODES.map((c) => [c, { met: 0, notMet: 0, unknown: 0 }]),
  )
  for await (const batch of schoolPages(db, scope)) {
    for (const school of batch) {
      const { result } = complianceRow(school, (code) => code)
      const county = byCounty.get(school.county_code) ?? { schools: 0, compliant: 0, notCompliant: 0, incomplete: 0 }
      county.schools += 1
      if (result.status === 'compliant') county.compliant += 1
      else if (result.status === 'not_compliant') county.notCompliant += 1
      else county.incomplete += 1
      byCounty.set(school.county_code, county)
      for (const f of result.findings) {
        const tally = byFinding.get(f.code)!
        if (f.status === 'met') tally.met += 1
        else if (f.status === 'not_met') tally.notMet += 1
        else tally.unknown += 1
      }
    }
  }
  return { byCounty, byFinding }
}

async function complianceReport(db: Kysely<Database>, scope: ReportScope, countyLabel: (code: string) => string): Promise<Built> {
  const { byCounty, byFinding } = await complianceTallies(db, scope)
  const counties = [...byCounty.entries()].sort(([a], [b]) => a.localeCompare(b))
  const countyRows: Row[] = counties.map(([code, c]) => ({
    label: countyLabel(code),
    ...c,
    share: c.schools === 0 ? 0 : c.compliant / c.schools,
  }))
  const all = counties.reduce(
    (t, [, c]) => ({
      schools: t.schools + c.schools,
      compliant: t.compliant + c.compliant,
      notCompliant: t.notCompliant + c.notCompliant,
      incomplete: t.incomplete + c.incomplete,
    }),
    { schools: 0, compliant: 0, notCompliant: 0, incomplete: 0 },
  )
  countyRows.push({ label: '合计', ...all, share: all.schools === 0 ? 0 : all.compliant / all.schools })
  const clauseOf: Record<FindingCode, string> = {
    guards: '§7',
    doctor: '§7',
    psychology_teacher: '§11',
    dormitory_manager: '§7',
    dormitory_female_manager: '§7',
    dormitories_recorded: '§7',
    police_alarm: '§7、§8',
  }
  return {
    title: '学校人员配备（§7）核查统计表',
    summaries: [
      {
        title: '按区县',
        columns: [
          text('label', '区县'),
          integer('schools', '学校数'),
          integer('compliant', '达标'),
          integer('notCompliant', '不达标'),
          integer('incomplete', '信息不全'),
          { key: 'share', header: '达标率', type: 'percent' },
        ],
        rows: countyRows,
        chart: { label: 'label', values: ['compliant', 'notCompliant', 'incomplete'] },
      },
      {
        title: '按核查项目',
        columns: [
          text('label', '项目'),
          text('clause', '条款'),
          integer('met', '达标'),
          integer('notMet', '不达标'),
          integer('unknown', '未登记'),
        ],
        rows: [...byFinding.entries()].map(([code, t]) => ({ label: FINDING_NAMES[code], clause: clauseOf[code], ...t })),
        chart: { label: 'label', values: ['notMet', 'unknown'] },
      },
    ],
    itemsTitle: '学校明细',
    itemColumns: [
      integer('id', '学校编号'),
      text('county', '区县'),
      text('name', '学校名称'),
      text('schoolType', '学校类型'),
      integer('headCount', '师生员工'),
      { key: 'boarding', header: '寄宿制', type: 'boolean' },
      integer('guardsRequired', '保安应配'),
      integer('guards', '保安实有'),
      integer('doctors', '校医'),
      integer('psychologyTeachers', '心理健康教师'),
      { key: 'alarm', header: '报警接入公安', type: 'boolean' },
      text('status', '核查结果'),
      text('notMet', '不达标项目（条款）'),
      text('unknown', '未登记项目'),
    ],
    items: async function* () {
      for await (const batch of schoolPages(db, scope)) yield batch.map((s) => complianceRow(s, countyLabel).row)
    },
  }
}

async function permitsReport(db: Kysely<Database>, scope: ReportScope, countyLabel: (code: string) => string): Promise<Built> {
  const tallies = await repository.permitTallies(db, scope)
  const values = [
    integer('decided', '已决定'),
    integer('approved', '批准'),
    integer('rejected', '不予批准'),
    integer('overrides', '越权批准'),
  ]
  const entry = (label: string, t: repository.PermitTally) => ({
    label,
    values: {
      decided: t.n,
      approved: t.status === 'approved' ? t.n : 0,
      rejected: t.status === 'rejected' ? t.n : 0,
      overrides: t.overrides,
    },
  })
  return {
    title: '经营许可审批决定与越权批准统计表',
    summaries: [
      pivot(
        '按区县',
        '区县',
        tallies.map((t) => entry(countyLabel(t.county_code), t)),
        values,
        ['approved', 'rejected', 'overrides'],
      ),
      pivot(
        '按类别',
        '类别',
        tallies.map((t) => entry(CATEGORY_NAMES[t.category] ?? t.category, t)),
        values,
        ['approved', 'rejected', 'overrides'],
      ),
    ],
    itemsTitle: '审批明细',
    itemColumns: [
      integer('id', '申请编号'),
      text('county', '区县'),
      text('category', '类别'),
      text('kind', '申请类型'),
      text('businessName', '经营者名称'),
      text('address', '经营地址'),
      text('verdict', '审查结论'),
      text('status', '决定'),
      { key: 'override', header: '越权批准', type: 'boolean' },
      text('overrideJustification', '越权理由'),
      text('reason', '决定理由'),
      text('decidedBy', '决定人'),
      { key: 'decidedAt', header: '决定时间（北京时间）', type: 'datetime' },
      text('licenceNo', '许可证号'),
      { key: 'submittedAt', header: '提交时间（北京时间）', type: 'datetime' },
    ],
    items: async function* () {
      for await (const batch of idPages((after, n) => repository.permitBatch(db, scope, after, n)))
        yield batch.map((p) => ({
          id: p.id,
          county: countyLabel(p.county_code),
          category: CATEGORY_NAMES[p.category] ?? p.category,
          kind: PERMIT_KIND_NAMES[p.kind] ?? p.kind,
          businessName: p.business_name,
          address: p.address,
          verdict: p.verdict === 'prohibited' ? '禁止（在安全区域内）' : p.verdict === 'allowed' ? '允许' : p.verdict,
          status: PERMIT_STATUS_NAMES[p.status] ?? p.status,
          override: p.flagged_override,
          overrideJustification: p.override_justification,
          reason: p.decision_reason,
          decidedBy: p.decided_by_name === null ? null : `${p.decided_by_name}（${p.decided_role ?? ''}）`,
          decidedAt: new Date(p.decided_at),
          licenceNo: p.licence_no,
          submittedAt: new Date(p.submitted_at),
        }))
    },
  }
}

async function patrolsReport(
  db: Kysely<Database>,
  scope: ReportScope & { from: string; to: string },
  countyLabel: (code: string) => string,
): Promise<Built> {
  const byCounty = new Map<string, { schoolDays: number; met: number; visits: number; schools: Set<number> }>()
  const byDay = new Map<string, { schools: number; met: number; visits: number }>()
  for await (const batch of patrolPages(db, scope, BATCH_SIZE * 5)) {
    for (const d of batch) {
      if (!d.urban) continue
      const county = byCounty.get(d.county_code) ?? { schoolDays: 0, met: 0, visits: 0, schools: new Set<number>() }
      county.schoolDays += 1
      county.visits += d.visits
      if (d.visits >= d.required) county.met += 1
      county.schools.add(d.school_id)
      byCounty.set(d.county_code, county)
      const day = byDay.get(d.day) ?? { schools: 0, met: 0, visits: 0 }
      day.schools += 1
      day.visits += d.visits
      if (d.visits >= d.required) day.met += 1
      byDay.set(d.day, day)
    }
  }
  const share = (met: number, of: number) => (of === 0 ? 0 : met / of)
  return {
    title: `城市学校巡逻覆盖统计表（${scope.from} 至 ${scope.to}）`,
    summaries: [
      {
        title: '按区县',
        columns: [
          text('label', '区县'),
          integer('schools', '城市学校'),
          integer('schoolDays', '校·日'),
          integer('met', '达标校·日'),
          integer('visits', '巡逻到校次数'),
          { key: 'share', header: '达标率', type: 'percent' },
        ],
        rows: [...byCounty.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([code, c]) => ({
            label: countyLabel(code),
            schools: c.schools.size,
            schoolDays: c.schoolDays,
            met: c.met,
            visits: c.visits,
            share: share(c.met, c.schoolDays),
          })),
        chart: { label: 'label', values: ['schoolDays', 'met'] },
      },
      {
        title: '按日期',
        columns: [
          { key: 'label', header: '日期', type: 'date' },
          integer('schools', '城市学校'),
          integer('met', '达标'),
          integer('visits', '巡逻到校次数'),
          { key: 'share', header: '达标率', type: 'percent' },
        ],
        rows: [...byDay.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([day, d]) => ({ label: dayOf(day), ...d, share: share(d.met, d.schools) })),
        chart: { label: 'label', values: ['schools', 'met'] },
      },
    ],
    itemsTitle: '学校逐日明细',
    itemColumns: [
      { key: 'day', header: '日期', type: 'date' },
      integer('schoolId', '学校编号'),
      text('county', '区县'),
      text('school', '学校'),
      { key: 'urban', header: '城市学校', type: 'boolean' },
      integer('visits', '巡逻到校次数'),
      integer('required', '要求次数'),
      { key: 'met', header: '达标', type: 'boolean' },
    ],
    items: async function* () {
      for await (const batch of patrolPages(db, scope))
        yield batch.map((d) => ({
          day: dayOf(d.day),
          schoolId: d.school_id,
          county: countyLabel(d.county_code),
          school: d.school_name,
          urban: d.urban,
          visits: d.visits,
          required: d.required,
          met: d.visits >= d.required,
        }))
    },
  }
}

const schoolPages = (db: Kysely<Database>, scope: ReportScope) => idPages((after, n) => repository.schoolBatch(db, scope, after, n))

const patrolPages = (db: Kysely<Database>, scope: ReportScope & { from: string; to: string }, limit = BATCH_SIZE) =>
  pages(
    (after: [number, string] | undefined, n) => repository.patrolBatch(db, scope, after, n),
    (d): [number, string] => [d.school_id, d.day],
    limit,
  )
