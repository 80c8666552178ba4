/**
 * Taking over an existing ledger: POST /api/import/hazards from CSV or XLSX, all rows or none with each
 * problem's row and column, found dates and deadlines kept so that what is overdue shows at once with its
 * escalation step.
 */
import ExcelJS from 'exceljs'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cstDay, FIVE_FIXED, registerSchool } from '../factories/hazards.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
let t: TestApp
let governanceSupervisor: TestAgent
let governance: TestAgent
let emergency: TestAgent
let schoolId: number

beforeAll(async () => {
  t = await startTestApp()
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  governanceSupervisor = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  emergency = (await t.signIn({ department: 'emergency', role: 'clerk' })).agent
  schoolId = await registerSchool(education)
})
afterAll(async () => {
  await t?.close()
})

const count = async () => (await governance.get('/api/hazards').expect(200)).body.numberMatched as number
const HEADER = 'schoolId,kind,grade,title,source,department,foundAt,state,responsibleParty,measures,funds,deadline,contingencyPlan'
const row = (title: string, state: string, deadline: string) =>
  [
    schoolId,
    'fire',
    'general',
    title,
    'inspection',
    'emergency',
    '2026-05-04 09:30',
    state,
    FIVE_FIXED.responsibleParty,
    FIVE_FIXED.measures,
    FIVE_FIXED.funds,
    deadline,
    FIVE_FIXED.contingencyPlan,
  ].join(',')

describe('CSV', () => {
  it('imports every row, keeping found dates and deadlines, so what is overdue shows with its step', async () => {
    const csv = `\uFEFF${HEADER}\n${row('旧台账一', 'rectifying', cstDay(-40))}\n${row('旧台账二', 'monitored', '')}\n${row('旧台账三', 'closed', cstDay(-100))}\n`
    const response = await governanceSupervisor.post('/api/import/hazards').set('content-type', 'text/csv').send(csv)
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    expect(response.body.imported).toBe(3)
    const [first, second, third] = await Promise.all(
      response.body.ids.map(async (id: number) => (await governance.get(`/api/hazards/${id}`).expect(200)).body),
    )
    expect(first).toMatchObject({
      title: '旧台账一',
      state: 'rectifying',
      overdue: true,
      daysOverdue: 40,
      escalation: 'listed',
      foundAt: '2026-05-04T01:30:00.000Z',
    })
    expect(first.escalations.map((e: { step: string }) => e.step)).toEqual(['notice', 'ordered', 'listed'])
    expect(second).toMatchObject({ state: 'monitored', deadline: null, overdue: false })
    expect(third).toMatchObject({ state: 'closed', overdue: false, escalation: null })
    const entries = await t.app.db
      .selectFrom('audit_log')
      .select('entity_id')
      .where('action', '=', 'import')
      .where('entity_type', '=', 'hazard')
      .execute()
    expect(entries.map((e) => Number(e.entity_id)).sort()).toEqual([...response.body.ids].sort())
  })

  it('imports nothing when any row is wrong, naming each row and column', async () => {
    const before = await count()
    const csv = [
      HEADER,
      row('好行', 'warning', ''),
      row('缺五落实', 'rectifying', '').replace(FIVE_FIXED.measures, ''),
      row('坏类别', 'warning', '').replace(',fire,', ',flood,'),
      row('坏日期', 'warning', '2026-13-40'),
    ].join('\n')
    const response = await governanceSupervisor.post('/api/import/hazards').set('content-type', 'text/csv').send(csv)
    expect(response.status).toBe(400)
    expect(response.body.code).toBe('IMPORT_REJECTED')
    const errors = response.body.details.errors as { row: number; field: string; message: string }[]
    expect(errors.map((e) => e.row)).toEqual(expect.arrayContaining([3, 4, 5]))
    expect(errors.some((e) => e.row === 2)).toBe(false)
    expect(errors.find((e) => e.row === 3)!.field).toContain('measures')
    expect(errors.find((e) => e.row === 4)!.field).toBe('B (kind)')
    expect(errors.find((e) => e.row === 5)!.field).toBe('L (deadline)')
    expect(await count()).toBe(before)
  })

  it('refuses an unknown column, and later states or past deadlines from a governance clerk', async () => {
    const unknown = await governanceSupervisor
      .post('/api/import/hazards')
      .set('content-type', 'text/csv')
      .send(`${HEADER},colour\n${row('x', 'warning', '')},red`)
    expect(unknown.status).toBe(400)
    expect(unknown.body.message).toContain('colour')
    const clerk = await governance
      .post('/api/import/hazards')
      .set('content-type', 'text/csv')
      .send(`${HEADER}\n${row('x', 'rectifying', cstDay(5))}`)
    expect(clerk.status).toBe(400)
    expect(clerk.body.details.errors[0]).toMatchObject({ row: 2, field: 'H (state)' })
    expect(
      (
        await emergency
          .post('/api/import/hazards')
          .set('content-type', 'text/csv')
          .send(`${HEADER}\n${row('x', 'warning', '')}`)
      ).status,
    ).toBe(403)
  })
})

describe('XLSX', () => {
  it('imports a workbook with Chinese headings and date cells, keeping the dates', async () => {
    const workbook = new ExcelJS.Workbook()
    const sheet = workbook.addWorksheet('隐患台账')
    sheet.addRow([
      '学校编号',
      '类别',
      '等级',
      '隐患名称',
      '来源',
      '责任部门',
      '发现时间',
      '状态',
      '责任人',
      '整改措施',
      '整改资金',
      '整改期限',
      '应急预案',
    ])
    const deadline = new Date(`${cstDay(-9)}T00:00:00Z`)
    sheet.addRow([
      schoolId,
      'building',
      'major',
      '教学楼外墙脱落',
      'report',
      'education',
      new Date('2026-02-10T02:00:00Z'),
      'rectifying',
      '校长',
      '拆除重建',
      '30万元',
      deadline,
      '设置隔离带',
    ])
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer())
    const response = await governanceSupervisor.post('/api/import/hazards').set('content-type', XLSX).send(bytes)
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    const hazard = (await governance.get(`/api/hazards/${response.body.ids[0]}`).expect(200)).body
    expect(hazard).toMatchObject({
      kind: 'building',
      grade: 'major',
      deadline: cstDay(-9),
      foundAt: '2026-02-10T02:00:00.000Z',
      escalation: 'ordered',
    })
    expect(hazard.reportedUpAt).not.toBeNull()
  })

  it('refuses a file that is not a workbook', async () => {
    const response = await governanceSupervisor.post('/api/import/hazards').set('content-type', XLSX).send(Buffer.from('not a zip'))
    expect(response.status).toBe(400)
    expect(response.body.message).toContain('XLSX')
  })
})
