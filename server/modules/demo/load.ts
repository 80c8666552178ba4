import fs from 'node:fs'
import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { Actor } from '../../schemas/auth.ts'
import type { Department, Role } from '../../schemas/common.ts'
import { candidatesFromGeoJson, importRecords } from '../registry/import.ts'
import { recordMany } from '../audit-log/service.ts'
import { DATA_DIR } from '../reference/load.ts'
import { createDemoUser, hashPassword } from '../users/service.ts'
import { readRoadGeoJson } from '../roads/read.ts'
import { importRoads } from '../roads/service.ts'
import { refreshWalkingConflicts } from '../zones/maintenance.ts'
import { loadDemoPermits } from './permits.ts'
import { loadDemoHazards } from './hazards.ts'
import { createPlan } from '../patrol/plans/service.ts'
import { demoPlanRequest, loadDemoPolice } from './police.ts'
import * as repository from './repository.ts'

/** The demo users: one per department, plus a supervisor and a viewer to try the other roles with. */
export const DEMO_USERS: { username: string; department: Department; role: Role; countyCode?: string }[] = [
  { username: 'education', department: 'education', role: 'clerk' },
  { username: 'tobacco', department: 'tobacco', role: 'clerk' },
  { username: 'tobacco_supervisor', department: 'tobacco', role: 'supervisor' },
  { username: 'tobacco_yuanzhou', department: 'tobacco', role: 'clerk', countyCode: '640402' },
  { username: 'lottery_welfare', department: 'lottery_welfare', role: 'clerk' },
  { username: 'lottery_sports', department: 'lottery_sports', role: 'clerk' },
  { username: 'culture', department: 'culture', role: 'clerk' },
  { username: 'emergency', department: 'emergency', role: 'clerk' },
  { username: 'environment', department: 'environment', role: 'clerk' },
  { username: 'market', department: 'market', role: 'clerk' },
  { username: 'police', department: 'police', role: 'clerk' },
  { username: 'police_supervisor', department: 'police', role: 'supervisor' },
  { username: 'police_yuanzhou', department: 'police', role: 'clerk', countyCode: '640402' },
  { username: 'governance', department: 'governance', role: 'supervisor' },
  { username: 'viewer', department: 'governance', role: 'viewer' },
  { username: 'admin', department: 'admin', role: 'admin' },
]

const SYSTEM: Actor = { user: null, requestId: 'demo-loader' }

/**
 * Loads the generated demo registry and the demo users once, in one transaction, and marks it
 * loaded; a later start (or a crash half-way) never duplicates it.
 */
export async function loadDemoData(db: Kysely<Database>, password: string, log: (message: string) => void = () => {}): Promise<boolean> {
  if (await repository.isMarked(db, 'demo_data')) {
    // A database that had the demo registry before address points existed gets them now.
    await loadDemoAddresses(db, log)
    await loadDemoRoads(db, log)
    await loadDemoPermits(db, log)
    await loadDemoStaffing(db, log)
    await loadDemoHazards(db, log)
    await loadDemoPatrols(db, log)
    return false
  }
  // The files mark each feature `demo: true`; the loader sets that flag itself, so it is dropped from the input.
  const read = (name: string) => {
    const collection = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'demo', name), 'utf8')) as {
      features: { properties: Record<string, unknown> }[]
    }
    for (const feature of collection.features) delete feature.properties.demo
    return collection
  }
  const schools = candidatesFromGeoJson(read('schools.geojson'), 'wgs84')
  const premises = candidatesFromGeoJson(read('premises.geojson'), 'wgs84')
  const passwordHash = await hashPassword(password)
  await db.transaction().execute(async (trx) => {
    const s = await importRecords(trx, schools, [], { kind: 'schools', crs: 'wgs84', demo: true }, SYSTEM)
    const p = await importRecords(trx, premises, [], { kind: 'premises', crs: 'wgs84', demo: true }, SYSTEM)
    for (const user of DEMO_USERS) await createDemoUser(trx, user, passwordHash, SYSTEM)
    await repository.mark(trx, 'demo_data', { schools: s.imported, premises: p.imported, loadedAt: new Date().toISOString() }, 'replace')
    // The schools file carries the staffing facts, so they came in with the import.
    await repository.mark(trx, 'demo_staffing', { schools: s.imported, loadedAt: new Date().toISOString() }, 'replace')
    log(`loaded demo data: ${s.imported} schools, ${p.imported} premises (generated, not real)`)
  })
  await loadDemoAddresses(db, log)
  await loadDemoRoads(db, log)
  await loadDemoPermits(db, log)
  await loadDemoHazards(db, log)
  await loadDemoPatrols(db, log)
  log(`demo users (password "${password}"): ${DEMO_USERS.map((u) => u.username).join(', ')}`)
  return true
}

/** Loads the generated demo address points once (marked `demo_addresses` in app_settings). */
async function loadDemoAddresses(db: Kysely<Database>, log: (message: string) => void): Promise<void> {
  if (await repository.isMarked(db, 'demo_addresses')) return
  const collection = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'demo', 'addresses.geojson'), 'utf8')) as {
    features: { properties: Record<string, unknown> }[]
  }
  for (const feature of collection.features) delete feature.properties.demo
  await db.transaction().execute(async (trx) => {
    const result = await importRecords(
      trx,
      candidatesFromGeoJson(collection, 'wgs84'),
      [],
      { kind: 'addresses', crs: 'wgs84', demo: true },
      SYSTEM,
    )
    await repository.mark(trx, 'demo_addresses', { addresses: result.imported, loadedAt: new Date().toISOString() }, 'replace')
    log(`loaded demo address points: ${result.imported} (generated, not real)`)
  })
}

/** The generated demo street network's import name; its roads are fictional, like the rest of the demo. */
export const DEMO_ROAD_SOURCE = '示例道路网（生成，非真实）'

/** Loads the generated demo street network once (marked `demo_roads`), with the walking conflicts it decides. */
async function loadDemoRoads(db: Kysely<Database>, log: (message: string) => void): Promise<void> {
  if (await repository.isMarked(db, 'demo_roads')) return
  const file = readRoadGeoJson(JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'demo', 'roads.geojson'), 'utf8')), 'wgs84')
  const result = await importRoads(
    db,
    file,
    {
      format: 'geojson',
      source: DEMO_ROAD_SOURCE,
      replace: true,
      licence: 'generated demo data',
      attribution: '示例道路（生成数据，非真实道路）',
      onNetworkChanged: refreshWalkingConflicts,
    },
    SYSTEM,
  )
  await repository.mark(db, 'demo_roads', { roads: result.imported, loadedAt: new Date().toISOString() }, 'replace')
  log(`loaded the demo street network: ${result.imported} roads (generated, not real)`)
}

/**
 * A database whose demo registry was loaded before schools had staffing facts (migration 0011) gets the demo
 * file's facts once (marked `demo_staffing`), each change in the audit log.
 */
async function loadDemoStaffing(db: Kysely<Database>, log: (message: string) => void): Promise<void> {
  if (await repository.isMarked(db, 'demo_staffing')) return
  const collection = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'demo', 'schools.geojson'), 'utf8')) as {
    features: { properties: Record<string, unknown> }[]
  }
  const rows: repository.DemoStaffing[] = collection.features.map(({ properties: p }) => ({
    name: p.name as string,
    guards: (p.guards as number | null | undefined) ?? null,
    doctors: (p.doctors as number | null | undefined) ?? null,
    psychology_teachers: (p.psychologyTeachers as number | null | undefined) ?? null,
    boarding_students: (p.boardingStudents as number | null | undefined) ?? null,
    dormitories: p.dormitories ? JSON.stringify(p.dormitories) : null,
    alarm_linked_to_police: (p.alarmLinkedToPolice as boolean | null | undefined) ?? null,
  }))
  await db.transaction().execute(async (trx) => {
    const changed = await repository.fillDemoStaffing(trx, rows)
    const byName = new Map(rows.map((r) => [r.name, r]))
    await recordMany(
      trx,
      SYSTEM,
      changed.map((s) => ({ action: 'update', entityType: 'school', entityId: s.id, after: { staffing: byName.get(s.name) } })),
    )
    await repository.mark(trx, 'demo_staffing', { schools: changed.length, loadedAt: new Date().toISOString() }, 'replace')
    log(`filled the staffing facts of ${changed.length} demo schools (generated, not real)`)
  })
}

/**
 * The police desk's demo: its registry and simulated visits (./police.ts), then the plan of the day the demo was
 * loaded for 原州区, made once by the planner (marked demo), so the patrol screen shows routes on first start.
 * Later days are planned by the police themselves: a later start plans nothing.
 */
async function loadDemoPatrols(db: Kysely<Database>, log: (message: string) => void): Promise<void> {
  await loadDemoPolice(db, log)
  if (await repository.isMarked(db, 'demo_patrol_plan')) return
  const request = demoPlanRequest()
  const plan = await createPlan(db, request, { user: null, requestId: 'demo-loader' }, { demo: true })
  await repository.mark(db, 'demo_patrol_plan', { planId: plan.id, date: request.date, loadedAt: new Date().toISOString() }, 'keep')
  log(
    `demo patrol plan for ${request.date} in ${request.countyCode}: ${plan.units.length} units, ${plan.units.reduce((n, u) => n + u.stops.length, 0)} stops, ${plan.unmet.length} unmet, ${(plan.lengthM / 1000).toFixed(1)} km`,
  )
}
