/**
 * Daily patrol plans through HTTP on a hand-made street grid: every plan passes the independent checker
 * (test/helpers/patrol-checker.ts); too few units give the exact unmet list; the date seeds the times;
 * access and bad input; the GPX read back (and by GDAL's ogrinfo) and the route sheet read by pdftotext.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SaxesParser } from 'saxes'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertStation, insertUnit, markUrban, streetGrid } from '../factories/patrol-plans.ts'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { binary, pdfText } from '../helpers/pdf.ts'
import { checkPlan, type CheckedPlan } from '../helpers/patrol-checker.ts'

const ORIGIN = offset([GUYUAN.lon, GUYUAN.lat], -750, -750)
const BLOCK_M = 250
const grid = streetGrid(ORIGIN, 6, BLOCK_M, [
  // A footpath across one block: walkable, not drivable.
  {
    properties: { highway: 'footway', name: '巡逻测试步行道' },
    coordinates: [streetGrid(ORIGIN, 6, BLOCK_M).at(1, 1), streetGrid(ORIGIN, 6, BLOCK_M).at(2, 2)],
  },
])
// Row 3 is one way eastwards for cars.
grid.features.find((f) => f.properties.name === '巡逻测试东西街3')!.properties.oneway = 'yes'
const DATE = '2026-12-02'
const NEXT = '2026-12-03'
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/

let t: TestApp
let police: TestAgent
let policeOther: TestAgent
let governance: TestAgent
let education: TestAgent
let tobacco: TestAgent
let stationId: number
let loneStationId: number
let otherStationId: number
const urbanIds: number[] = []
let ruralId: number
let biggestId: number
let carId: number

/** A school in block (i, j) of the grid, its gate on the street south of it. */
const schoolIn = (i: number, j: number, name: string, students: number) => {
  const center = grid.at(i + 0.5, j + 0.5)
  const gate = offset(center, 0, -40)
  return schoolFeature({ center, name, gates: [gate], properties: { students } })
}

beforeAll(async () => {
  t = await startTestApp()
  police = (await t.signIn({ department: 'police', role: 'clerk', countyCode: '640402' })).agent
  policeOther = (await t.signIn({ department: 'police', role: 'supervisor', countyCode: '640422' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  const { features } = grid
  await police.post('/api/import/roads?source=patrol-test').send({ type: 'FeatureCollection', features }).expect(201)
  const blocks: [number, number, number][] = [
    [0, 0, 600],
    [1, 4, 1800],
    [3, 2, 900],
    [4, 5, 450],
    [5, 1, 1200],
  ]
  for (const [k, [i, j, students]] of blocks.entries()) {
    const response = await education
      .post('/api/schools')
      .send(schoolIn(i, j, `巡逻测试第${k + 1}小学`, students))
      .expect(201)
    urbanIds.push(response.body.id)
  }
  biggestId = urbanIds[1]!
  ruralId = (
    await education
      .post('/api/schools')
      .send(schoolIn(2, 5, '巡逻测试乡村小学', 300))
      .expect(201)
  ).body.id
  await markUrban(t.app.db, urbanIds)
  stationId = await insertStation(t.app.db, { name: '巡逻测试派出所', countyCode: '640402', at: grid.at(3, 3) })
  carId = await insertUnit(t.app.db, {
    name: '一号车',
    stationId,
    mode: 'car',
    shiftStart: '07:00',
    shiftEnd: '19:00',
    base: grid.at(3, 3),
  })
  await insertUnit(t.app.db, { name: '二号车', stationId, mode: 'car', shiftStart: '07:00', shiftEnd: '19:00', base: grid.at(3, 3) })
  await insertUnit(t.app.db, { name: '步巡组', stationId, mode: 'foot', shiftStart: '07:00', shiftEnd: '15:00', base: grid.at(2, 2) })
  await insertUnit(t.app.db, {
    name: '停用车',
    stationId,
    mode: 'car',
    shiftStart: '07:00',
    shiftEnd: '19:00',
    base: grid.at(3, 3),
    active: false,
  })
  loneStationId = await insertStation(t.app.db, { name: '巡逻测试警务站', countyCode: '640402', at: grid.at(3, 3) })
  await insertUnit(t.app.db, {
    name: '早班车',
    stationId: loneStationId,
    mode: 'car',
    shiftStart: '07:10',
    shiftEnd: '08:15',
    base: grid.at(3, 3),
  })
  otherStationId = await insertStation(t.app.db, { name: '西吉测试派出所', countyCode: '640422', at: [105.73, 35.96] })
}, 120_000)
afterAll(async () => {
  await t?.close()
})

type PlanBody = Omit<CheckedPlan, 'units'> & {
  id: number
  policyVersion: number
  units: (CheckedPlan['units'][number] & { name: string })[]
}
const makePlan = async (body: object, agent = police) => {
  const response = await agent.post('/api/patrol/plans').send(body)
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body as PlanBody
}

describe('a plan on the street grid', () => {
  let plan: Awaited<ReturnType<typeof makePlan>>
  beforeAll(async () => {
    plan = await makePlan({ date: DATE, stationId })
  }, 120_000)

  it('answers the issue’s shape with +08:00 times, and the independent checker accepts it', async () => {
    expect(plan).toMatchObject({ date: DATE, stationId, countyCode: '640402', policyVersion: 1 })
    expect(plan.units.map((u) => u.name).sort()).toEqual(['一号车', '二号车', '步巡组'])
    for (const unit of plan.units) {
      expect(['car', 'foot']).toContain(unit.mode)
      for (const stop of unit.stops) {
        expect(stop.arriveAt).toMatch(ISO)
        expect(stop.departAt).toMatch(ISO)
        expect(stop.gate).toBe(1)
        expect(stop).toEqual(expect.objectContaining({ lon: expect.any(Number), lat: expect.any(Number) }))
      }
      if (unit.stops.length > 0) expect(unit.route?.type).toBe('MultiLineString')
    }
    expect(await checkPlan(t.app.db, plan)).toEqual([])
  })

  it('plans every required visit and lists the posts three units cannot hold', () => {
    const schools = new Map(plan.schools.map((s) => [s.schoolId, s]))
    for (const id of urbanIds) expect(schools.get(id)).toEqual({ schoolId: id, urban: true, required: 2, planned: 2 })
    expect(schools.get(ruralId)).toEqual({ schoolId: ruralId, urban: false, required: 0, planned: 0 })
    const posts = plan.units.flatMap((u) => u.stops.filter((s) => s.kind === 'post'))
    // Morning: all three units hold a post; afternoon: the two cars (the foot patrol's shift ends at 15:00).
    expect(posts).toHaveLength(5)
    expect(posts.filter((p) => p.schoolId === biggestId)).toHaveLength(2)
    expect(plan.unmet.filter((u) => u.kind === 'visit')).toEqual([])
    expect(plan.unmet.filter((u) => u.kind === 'post')).toHaveLength(5)
    expect(plan.lowerBoundM).toBeGreaterThan(0)
    expect(plan.lowerBoundM).toBeLessThanOrEqual(plan.lengthM)
  })

  it('has a checker that catches broken plans', async () => {
    const broken = (change: (p: PlanBody) => void) => {
      const copy = structuredClone(plan)
      change(copy)
      return checkPlan(t.app.db, copy)
    }
    const car = (p: PlanBody) => p.units.find((u) => u.unitId === carId)!
    const visitOf = (p: PlanBody) => car(p).stops.find((s) => s.kind === 'visit')!
    const moved = (iso: string, seconds: number) =>
      new Date(new Date(iso).getTime() + seconds * 1000 + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00'
    // A visit stretched beyond the dwell.
    expect(await broken((p) => (visitOf(p).departAt = moved(visitOf(p).departAt, 20 * 60)))).toEqual(
      expect.arrayContaining([expect.stringMatching(/dwells \d+ min, outside 10–15/)]),
    )
    // A post that arrives late.
    expect(
      await broken((p) => {
        const post = car(p).stops.find((s) => s.kind === 'post')!
        post.arriveAt = moved(post.arriveAt, 60)
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/covers no whole peak window/)]))
    // Both visits of a school on top of each other.
    expect(
      await broken((p) => {
        const all = p.units.flatMap((u) => u.stops).filter((s) => s.kind === 'visit' && s.schoolId === visitOf(p).schoolId)
        all[1]!.arriveAt = all[0]!.arriveAt
        all[1]!.departAt = all[0]!.departAt
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/less than 120 min apart/)]))
    // A leg straightened across the blocks, off the roads.
    expect(
      await broken((p) => {
        const leg = car(p).route!.coordinates.find((l) => l.length > 4)!
        leg.splice(
          1,
          leg.length - 2,
          leg[0]!.map((v, i) => (v + leg[leg.length - 1]![i]!) / 2 + 0.002),
        )
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/connector|does not run along a road|route measures/)]))
    // A length that does not match the route, and a visit dropped without a word.
    expect(await broken((p) => (car(p).lengthM += 50))).toEqual(expect.arrayContaining([expect.stringMatching(/route measures/)]))
    expect(
      await broken((p) => {
        const entry = p.schools.find((s) => s.schoolId === visitOf(p).schoolId)!
        car(p).stops = car(p).stops.filter((s) => s !== visitOf(p))
        entry.planned -= 1
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/visits planned and only 0 listed unmet|legs for/)]))
    // A stop drawn away from its gate.
    expect(await broken((p) => (visitOf(p).lon += 0.001))).toEqual(
      expect.arrayContaining([expect.stringMatching(/is placed at .*, not at gate 1 of the school/)]),
    )
    // A foot patrol passed off as a car: the registry says otherwise.
    const foot = plan.units.find((u) => u.mode === 'foot')!
    expect(await broken((p) => (p.units.find((u) => u.unitId === foot.unitId)!.mode = 'car'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/mode car, the registry says foot/)]),
    )
  })

  it('reads back the same plan and lists it by date and county', async () => {
    const again = await governance.get(`/api/patrol/plans/${plan.id}`).expect(200)
    expect(again.body).toEqual(plan)
    const list = await education.get(`/api/patrol/plans?date=${DATE}&countyCode=640402`).expect(200)
    expect(list.body.plans.map((p: { id: number }) => p.id)).toContain(plan.id)
    const none = await police.get(`/api/patrol/plans?date=${NEXT}&countyCode=640402`).expect(200)
    expect(none.body.plans.map((p: { id: number }) => p.id)).not.toContain(plan.id)
  })

  it('gives the same plan for the same date and other visit times on another date', async () => {
    const same = await makePlan({ date: DATE, stationId })
    const strip = (p: typeof plan) => p.units.map((u) => ({ unitId: u.unitId, stops: u.stops, lengthM: u.lengthM, route: u.route }))
    expect(strip(same)).toEqual(strip(plan))
    expect(same.unmet).toEqual(plan.unmet)
    const next = await makePlan({ date: NEXT, stationId })
    expect(await checkPlan(t.app.db, next)).toEqual([])
    const visitTimes = (p: typeof plan) =>
      p.units
        .flatMap((u) =>
          u.stops.filter((s) => s.kind === 'visit').map((s) => `${s.schoolId}@${s.arriveAt.slice(11, 16)}-${s.departAt.slice(11, 16)}`),
        )
        .sort()
    expect(visitTimes(next)).not.toEqual(visitTimes(plan))
    // Posts are fixed by the peak windows and do not move.
    const postTimes = (p: typeof plan) =>
      p.units.flatMap((u) => u.stops.filter((s) => s.kind === 'post').map((s) => s.arriveAt.slice(11))).sort()
    expect(postTimes(next)).toEqual(postTimes(plan))
  })

  it('exports a unit’s day as GPX 1.1 that parses back and that GDAL reads', async () => {
    const unit = plan.units.find((u) => u.unitId === carId)!
    const response = await police.get(`/api/patrol/plans/${plan.id}/units/${carId}.gpx`).expect(200)
    expect(response.headers['content-type']).toMatch(/^application\/gpx\+xml/)
    const gpx = response.text
    const seen: { name: string; attributes: Record<string, string>; path: string }[] = []
    const texts = new Map<string, string[]>()
    const stack: string[] = []
    const parser = new SaxesParser({ xmlns: true })
    parser.on('opentag', (tag) => {
      stack.push(tag.local)
      seen.push({
        name: tag.local,
        attributes: Object.fromEntries(Object.entries(tag.attributes).map(([k, v]) => [k, typeof v === 'string' ? v : v.value])),
        path: stack.join('/'),
      })
      expect(tag.uri).toBe('http://www.topografix.com/GPX/1/1')
    })
    parser.on('text', (text) => {
      const key = stack.join('/')
      if (text.trim()) (texts.get(key) ?? texts.set(key, []).get(key)!).push(text)
    })
    parser.on('closetag', () => void stack.pop())
    parser.write(gpx).close()
    expect(seen[0]).toMatchObject({ name: 'gpx', attributes: { version: '1.1' } })
    expect(seen.filter((e) => e.path === 'gpx/metadata')).toHaveLength(1)
    const wpts = seen.filter((e) => e.path === 'gpx/wpt')
    expect(wpts).toHaveLength(unit.stops.length)
    const names = texts.get('gpx/wpt/name')!
    const times = texts.get('gpx/wpt/time')!
    expect(names).toHaveLength(unit.stops.length)
    expect(times.map((x) => new Date(x).getTime())).toEqual(unit.stops.map((s) => new Date(s.arriveAt).getTime()))
    expect(texts.get('gpx/wpt/desc')).toHaveLength(unit.stops.length)
    const trkpts = seen.filter((e) => e.path === 'gpx/trk/trkseg/trkpt')
    expect(seen.filter((e) => e.path === 'gpx/trk/trkseg')).toHaveLength(unit.route!.coordinates.length)
    expect(trkpts).toHaveLength(unit.route!.coordinates.flat().length)
    const first = unit.route!.coordinates[0]![0]!
    expect(Number(trkpts[0]!.attributes.lon)).toBeCloseTo(first[0]!, 6)
    expect(Number(trkpts[0]!.attributes.lat)).toBeCloseTo(first[1]!, 6)
    // GDAL's GPX driver reads the same file: the stops as waypoints, the route as one track.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patrol-gpx-'))
    try {
      fs.writeFileSync(path.join(dir, 'unit.gpx'), gpx)
      const info = execFileSync('ogrinfo', ['-ro', '-al', '-so', path.join(dir, 'unit.gpx')], { encoding: 'utf8' })
      expect(info).toMatch(new RegExp(`Layer name: waypoints[\\s\\S]*?Feature Count: ${unit.stops.length}\\n`))
      expect(info).toMatch(/Layer name: tracks[\s\S]*?Feature Count: 1\n/)
      expect(info).toMatch(new RegExp(`Layer name: track_points[\\s\\S]*?Feature Count: ${trkpts.length}\\n`))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('prints a one-page route sheet in Chinese with the stops, times and schools', async () => {
    const unit = plan.units.find((u) => u.unitId === carId)!
    const response = await governance.get(`/api/patrol/plans/${plan.id}/units/${carId}.pdf`).buffer(true).parse(binary).expect(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    const text = pdfText(response.body as Buffer)
    expect(text).toContain('巡逻路线单')
    expect(text).toContain('一号车')
    expect(text).toContain(DATE)
    expect(text).toContain('巡逻测试派出所')
    expect(text).toContain('0954-1234567')
    for (const stop of unit.stops) expect(text).toContain(`${stop.arriveAt.slice(11, 16)}–${stop.departAt.slice(11, 16)}`)
    expect(text).toContain('巡逻测试第2小学')
    expect(text).toContain('原州区测试路1号')
  })

  it('answers 404 for a unit that is not in the plan and a plan that does not exist', async () => {
    await police.get(`/api/patrol/plans/${plan.id}/units/999999.gpx`).expect(404)
    await police.get('/api/patrol/plans/999999').expect(404)
    await police.get('/api/patrol/plans/999999/units/1.pdf').expect(404)
  })
})

it('with too few units says exactly which posts and visits are unmet and why', async () => {
  const plan = await makePlan({ date: DATE, stationId: loneStationId })
  expect(await checkPlan(t.app.db, plan)).toEqual([])
  const [unit] = plan.units
  // One unit on 07:10–08:15 holds the morning post of the biggest school, and can do nothing else.
  expect(unit!.stops).toMatchObject([
    { kind: 'post', schoolId: biggestId, gate: 1, arriveAt: `${DATE}T07:20:00+08:00`, departAt: `${DATE}T08:10:00+08:00` },
  ])
  const byKey = (u: { schoolId: number; kind: string; window?: string }) => `${u.schoolId}|${u.kind}|${u.window ?? ''}`
  const expected = [
    ...urbanIds
      .filter((id) => id !== biggestId)
      .map((schoolId) => ({
        schoolId,
        kind: 'post',
        window: 'morning',
        reason: 'all 1 unit(s) that could reach gate 1 by 07:20 hold other posts then (posts go to the biggest schools first)',
      })),
    ...urbanIds.map((schoolId) => ({ schoolId, kind: 'post', window: 'afternoon', reason: 'no unit is on shift through 16:30–17:50' })),
    ...urbanIds.map((schoolId) => ({
      schoolId,
      kind: 'visit',
      reason: "the units' hours (07:10–08:15) leave no room for 2 visits 120 min apart",
      // The same as a code with its figures, which the screen says in its own language.
      reasonCode: 'no_room_in_hours',
      reasonValues: { hours: '07:10–08:15', visits: 2, minutes: 120 },
    })),
  ]
  const firstVisits = plan.unmet.filter((u) => u.kind === 'visit' && !u.reason.startsWith("the units' hours"))
  expect(plan.unmet.filter((u) => !firstVisits.includes(u)).sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual(
    expected.sort((a, b) => byKey(a).localeCompare(byKey(b))),
  )
  // The first visit of each school: either no off-peak time fits its dwell at all, or none the unit can reach.
  expect(firstVisits.map((u) => u.schoolId).sort()).toEqual([...urbanIds].sort())
  for (const u of firstVisits) {
    expect(u.reason).toMatch(
      /^(no off-peak time is left for visit 1 in 07:10–08:15, between the other visits and the school's peak windows|no unit on shift can get to the school in 07:10–07:20 and back to its base within its shift)$/,
    )
    expect(
      u.reason.startsWith('no off-peak')
        ? { reasonCode: 'no_off_peak_time', reasonValues: { visit: 1, span: '07:10–08:15' } }
        : { reasonCode: 'no_unit_can_reach', reasonValues: { visit: 1, span: '07:10–07:20' } },
    ).toEqual({ reasonCode: u.reasonCode, reasonValues: u.reasonValues })
  }
  expect(plan.schools.find((s) => s.schoolId === biggestId)).toEqual({ schoolId: biggestId, urban: true, required: 2, planned: 0 })
})

describe('access', () => {
  it('lets governance and education read plans but not make them; tobacco sees nothing', async () => {
    await governance.post('/api/patrol/plans').send({ date: DATE, stationId }).expect(403)
    await education.post('/api/patrol/plans').send({ date: DATE, stationId }).expect(403)
    await tobacco.post('/api/patrol/plans').send({ date: DATE, stationId }).expect(403)
    await tobacco.get('/api/patrol/plans').expect(403)
    await tobacco.get('/api/patrol/plans/1').expect(403)
    await tobacco.get('/api/patrol/plans/1/units/1.gpx').expect(403)
    await t.request().get('/api/patrol/plans').expect(401)
  })

  it('keeps the police to their county', async () => {
    const response = await policeOther.post('/api/patrol/plans').send({ date: DATE, stationId }).expect(403)
    expect(response.body.message).toMatch(/640422/)
    await police.post('/api/patrol/plans').send({ date: DATE, stationId: otherStationId }).expect(403)
    await police.post('/api/patrol/plans').send({ date: DATE, countyCode: '640422' }).expect(403)
    const own = await makePlan({ date: DATE, stationId })
    await policeOther.get(`/api/patrol/plans/${own.id}`).expect(404)
    const list = await policeOther.get(`/api/patrol/plans?date=${DATE}`).expect(200)
    expect(list.body.plans).toEqual([])
  }, 60_000)
})

describe('bad input', () => {
  it.each([
    [{ date: '2026-02-30', stationId: 1 }, 400, 'body/date'],
    [{ date: '2026-13-01', countyCode: '640402' }, 400, 'date'],
    [{ date: '02.12.2026', countyCode: '640402' }, 400, 'date'],
    [{ countyCode: '640402' }, 400, 'date'],
    [{ date: '2026-12-02', countyCode: '64040' }, 400, 'countyCode'],
    [{ date: '2026-12-02', stationId: 0 }, 400, 'stationId'],
    [{ date: '2026-12-02', stationId: 'one' }, 400, 'stationId'],
    [{ date: '2026-12-02', countyCode: '640402', extra: 1 }, 400, 'extra'],
    [{ date: '2026-12-02', stationId: 987654 }, 422, 'body/stationId'],
    [{ date: '2026-12-02', countyCode: '999999' }, 422, 'body/countyCode'],
  ])('%j → %i naming %s', async (body, status, field) => {
    const response = await police.post('/api/patrol/plans').send(body)
    expect(response.status).toBe(status)
    expect(response.body.message).toContain(field)
  })

  it('refuses a station and a county that disagree', async () => {
    const admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
    const response = await admin.post('/api/patrol/plans').send({ date: DATE, stationId, countyCode: '640422' }).expect(422)
    expect(response.body.message).toMatch(/body\/countyCode/)
    await admin.post('/api/patrol/plans').send({ date: DATE }).expect(400)
  })

  it('refuses bad list filters and ids', async () => {
    expect((await police.get('/api/patrol/plans?date=2026-02-30').expect(400)).body.message).toContain('date')
    expect((await police.get('/api/patrol/plans?countyCode=abc').expect(400)).body.message).toContain('countyCode')
    await police.get('/api/patrol/plans/abc').expect(400)
    await police.get('/api/patrol/plans/1/units/abc.gpx').expect(400)
  })
})
