/**
 * The demo ledger loaded at a first start: hazards from the demo conflicts in every state of the loop, some
 * overdue at each escalation step, all marked demo, recent inspections with a few missed; loaded once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type TestAgent from 'supertest/lib/agent.js'
import supertest from 'supertest'
import { loadDemoData } from '../../server/modules/demo/load.ts'
import { loadDemoHazards } from '../../server/modules/demo/hazards.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import { HAZARD_STATES } from '../../server/schemas/hazard-vocabulary.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const PASSWORD = 'guyuan-demo'
let t: TestApp
let governance: TestAgent

beforeAll(async () => {
  t = await startTestApp({ demoPassword: PASSWORD })
  await loadReferenceData(t.app.db)
  await loadDemoData(t.app.db, PASSWORD)
  governance = supertest.agent(t.url).set('Origin', t.url)
  await governance.post('/api/auth/login').send({ username: 'governance', password: PASSWORD }).expect(200)
}, 600_000)
afterAll(async () => {
  await t?.close()
})

it('holds hazards in every state, some overdue at each escalation step, all marked demo', async () => {
  const all = (await governance.get('/api/hazards?limit=1000').expect(200)).body
  expect(all.numberMatched).toBeGreaterThan(50)
  const hazards = all.hazards as {
    state: string
    overdue: boolean
    escalation: string | null
    demo: boolean
    awaitingAcceptance: boolean
    extensionRequest: unknown
    kind: string
  }[]
  for (const state of HAZARD_STATES) {
    const n = (await governance.get(`/api/hazards?state=${state}&limit=1`).expect(200)).body.numberMatched
    expect(n, state).toBeGreaterThan(0)
  }
  const overdue = (await governance.get('/api/hazards?overdue=true&limit=1000').expect(200)).body.hazards as { escalation: string }[]
  expect(new Set(overdue.map((h) => h.escalation))).toEqual(new Set(['notice', 'ordered', 'listed']))
  expect(hazards.every((h) => h.demo)).toBe(true)
  expect(hazards.some((h) => h.awaitingAcceptance)).toBe(true)
  expect(hazards.some((h) => h.extensionRequest)).toBe(true)
  expect(new Set(hazards.map((h) => h.kind)).size).toBeGreaterThan(4)
})

it('fills the governance inbox, missed inspections included', async () => {
  const box = (await governance.get('/api/inbox').expect(200)).body
  for (const reason of ['overdue', 'awaiting_acceptance', 'extension_request', 'reported_up', 'inspection_overdue'])
    expect(box.counts[reason], reason).toBeGreaterThan(0)
})

it('loads once', async () => {
  expect(await loadDemoHazards(t.app.db)).toBe(0)
  expect(await loadDemoData(t.app.db, PASSWORD)).toBe(false)
})
