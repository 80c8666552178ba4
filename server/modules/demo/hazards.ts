import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { SignedInActor } from '../../schemas/auth.ts'
import type { HazardKind } from '../../schemas/hazard-vocabulary.ts'
import type { Department } from '../../schemas/vocabulary.ts'
import { addAttachment } from '../hazards/attachments.ts'
import * as hazards from '../hazards/repository.ts'
import { create, transition } from '../hazards/service.ts'
import { findUser } from '../users/service.ts'
import * as repository from './repository.ts'
import { deflateSync } from 'node:zlib'

const day = (offset: number) => new Date(Date.now() + 8 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10)
const FIVE = (deadlineOffset: number) => ({
  responsibleParty: '属地责任单位负责人（演示）',
  measures: '依法责令整改，逾期不改的依法关停（演示）',
  funds: '由责任单位自筹（演示）',
  deadline: day(deadlineOffset),
  contingencyPlan: '上下学时段安排专人值守（演示）',
})

/** A tiny generated PNG that stands for a photo of the rectified site. */
function demoPhoto(): Buffer {
  const crc = (bytes: Buffer) => {
    let c = ~0
    for (const b of bytes) {
      c ^= b
      for (let k = 0; k < 8; k += 1) c = (c >>> 1) ^ (0xedb88320 & -(c & 1))
    }
    return ~c >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4)
    head.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type), data])
    const tail = Buffer.alloc(4)
    tail.writeUInt32BE(crc(body))
    return Buffer.concat([head, body, tail])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(1, 0)
  ihdr.writeUInt32BE(1, 4)
  ihdr[8] = 8
  ihdr[9] = 2
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, 40, 160, 60]))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** How far along the loop each of the first demo zone-conflict hazards is walked (the rest stay at warning). */
const WALKS: { to: string; extra?: 'awaiting' | 'extension' | 'failed' | 'duplicate' | 'transferred' }[] = [
  { to: 'inspected' },
  { to: 'inspected' },
  { to: 'registered' },
  { to: 'registered' },
  { to: 'assessed' },
  { to: 'reported' },
  { to: 'monitored' },
  { to: 'monitored' },
  { to: 'rectifying' },
  { to: 'rectifying', extra: 'awaiting' },
  { to: 'rectifying', extra: 'extension' },
  { to: 'rectifying', extra: 'failed' },
  { to: 'accepted' },
  { to: 'closed' },
  { to: 'closed' },
  { to: 'closed_without_rectification', extra: 'duplicate' },
  { to: 'closed_without_rectification', extra: 'transferred' },
]
const LOOP = ['inspected', 'registered', 'assessed', 'reported', 'monitored', 'rectifying', 'accepted', 'closed']

/** Hazards of other kinds taken over from an older ledger, some of them overdue by days enough for each escalation step. */
const TAKEN_OVER: {
  kind: HazardKind
  grade: 'general' | 'major'
  title: string
  department: Department
  deadline: number
  state: 'rectifying' | 'monitored'
}[] = [
  {
    kind: 'traffic',
    grade: 'general',
    title: '校门口缺少减速带和人行横道（演示）',
    department: 'police',
    deadline: -2,
    state: 'rectifying',
  },
  { kind: 'fire', grade: 'major', title: '学生宿舍消防通道被占用（演示）', department: 'emergency', deadline: -12, state: 'rectifying' },
  {
    kind: 'food_safety',
    grade: 'general',
    title: '校园周边流动摊贩无证经营（演示）',
    department: 'market',
    deadline: -40,
    state: 'rectifying',
  },
  { kind: 'building', grade: 'major', title: '教学楼外墙瓷砖脱落（演示）', department: 'education', deadline: 15, state: 'rectifying' },
  {
    kind: 'public_security',
    grade: 'general',
    title: '校园围墙破损可翻越（演示）',
    department: 'police',
    deadline: 30,
    state: 'monitored',
  },
  {
    kind: 'environment',
    grade: 'general',
    title: '学校附近露天焚烧垃圾（演示）',
    department: 'environment',
    deadline: -5,
    state: 'rectifying',
  },
]

/**
 * A demo hazard ledger, once (marked `demo_hazards`): the zone-conflict hazards the demo conflicts opened are
 * marked demo and the first ones walked through every state of the loop by the demo users, as a desk would;
 * a few hazards of other kinds are taken over from an "older ledger" with past deadlines, so some are overdue
 * at each escalation step; and recent inspections for most demo schools, a few missed. Fictional, like all demo data.
 */
export async function loadDemoHazards(db: Kysely<Database>, log: (message: string) => void = () => {}): Promise<number> {
  if (await repository.isMarked(db, 'demo_hazards')) return 0
  const governance = await findUser(db, 'governance')
  if (!governance) return 0
  await hazards.markDemoHazards(db)
  const as = async (username: string): Promise<SignedInActor> => ({
    user: (await findUser(db, username)) ?? governance,
    requestId: 'demo-loader',
  })
  const office = await as('governance')
  const admin = await as('admin')
  let count = 0
  for (const [i, target] of (await hazards.demoConflictHazards(db, WALKS.length)).entries()) {
    const walk = WALKS[i]!
    const department = await as(target.department)
    let version = target.version
    const step = async (who: SignedInActor, body: Record<string, unknown>) => {
      version = (await transition(db, target.id, { version, ...body } as never, who)).version
    }
    if (walk.to === 'closed_without_rectification') {
      await step(office, { to: 'inspected' })
      await step(office, {
        to: 'closed_without_rectification',
        closeReason: walk.extra,
        note: walk.extra === 'duplicate' ? '与同一场所的另一条隐患重复（演示）' : '已移交属地乡镇处理（演示）',
      })
      count += 1
      continue
    }
    for (const to of LOOP.slice(0, LOOP.indexOf(walk.to) + 1)) {
      if (to === 'rectifying') await step(department, { to, ...FIVE(20 + i) })
      else if (to === 'accepted') {
        await step(department, { action: 'report_rectified', note: '已整改完毕（演示）' })
        await addAttachment(db, target.id, { content: demoPhoto(), filename: '整改后现场（演示）.png', phase: 'after' }, department)
        await step(office, { to, note: '现场验收合格（演示）' })
      } else if (to === 'closed') await step(office, { to, note: '销号（演示）' })
      else await step(department, { to })
    }
    if (walk.extra === 'awaiting') await step(department, { action: 'report_rectified', note: '已整改，申请验收（演示）' })
    if (walk.extra === 'extension')
      await step(department, { action: 'request_extension', deadline: day(60), note: '需待营业执照到期后办理（演示）' })
    if (walk.extra === 'failed') {
      await step(department, { action: 'report_rectified', note: '已整改（演示）' })
      await step(office, { to: 'rectifying', note: '复查仍在营业，验收不合格（演示）' })
    }
    count += 1
  }
  const schools = await hazards.demoSchoolIds(db, TAKEN_OVER.length)
  for (const [i, item] of TAKEN_OVER.entries()) {
    if (!schools[i]) break
    const hazard = await create(
      db,
      {
        schoolId: schools[i],
        kind: item.kind,
        grade: item.grade,
        title: item.title,
        source: 'inspection',
        department: item.department,
        state: item.state,
        foundAt: new Date(Date.now() - (60 - item.deadline) * 86_400_000).toISOString(),
        ...FIVE(item.deadline),
      },
      admin,
    )
    await db.updateTable('hazards').set({ demo: true }).where('id', '=', hazard.id).execute()
    count += 1
  }
  const inspections = await hazards.insertDemoInspections(db)
  await repository.mark(db, 'demo_hazards', { hazards: count, inspections, loadedAt: new Date().toISOString() }, 'replace')
  log(`loaded the demo hazard ledger: ${count} hazards walked or taken over, ${inspections} inspections (generated, not real)`)
  return count
}
