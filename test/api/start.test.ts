/**
 * `npm start` as a process of its own (scripts/start.ts): it runs the service from its bundle, which then answers as the
 * sources do (health, the desk page with its boot data, tiles, a refused request). The bundle is made again only when
 * the service's sources change.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { connectDatabase } from '../../server/db/connect.ts'
import { createScratchDatabase } from '../../server/db/scratch-database.ts'
import { serverBundleIsCurrent, serverInputsHash } from '../../scripts/server-build.ts'
import { buildWebOnce } from '../helpers/browser.ts'
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process.ts'

let service: ServiceProcess
let url: string
let cleanup: () => Promise<void> = async () => {}

beforeAll(async () => {
  // Built beforehand (once per run, as the browser tests build it), so the start finds the web desk current.
  await buildWebOnce()
  const env: Record<string, string> = {}
  const server = process.env.TEST_DATABASE_URL
  if (server) {
    const scratch = await createScratchDatabase(server, `zones_test_start_${process.pid}`, inject('serverTemplate'))
    env.DATABASE_URL = scratch.url
    cleanup = () => scratch.drop()
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-start-test-'))
    const handle = await connectDatabase({
      dataDir: path.join(dir, 'data'),
      loadDataDir: new Blob([fs.readFileSync(inject('embeddedTemplate'))]),
    })
    await handle.close()
    env.DATABASE_URL = ''
    env.DATA_DIR = path.join(dir, 'data')
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true })
  }
  service = startServiceProcess('scripts/start.ts', { ...env, SERVE_WEB: 'true' }, 'npm start')
  url = await service.listening
}, 240_000)
afterAll(async () => {
  await service?.stop()
  await cleanup()
})

describe('npm start', () => {
  it('runs the service from its bundle, made from the sources as they are', () => {
    expect(service.output.join('')).not.toMatch(/starting from the sources/)
    expect(serverBundleIsCurrent(serverInputsHash())).toBe(true)
  })

  it('answers as the service from the sources does', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200)
    const page = await (await fetch(`${url}/`)).text()
    expect(page).toMatch(/<script type="application\/json" id="desk-boot">/)
    const config = (await (await fetch(`${url}/api/map-config`)).json()) as { sources: Record<string, { tiles: string[] }> }
    expect(Object.keys(config.sources).sort()).toEqual(['counties', 'roads', 'townships'])
    // A tile through the bundled encoder: the county outlines over Guyuan at zoom 8.
    const tile = await fetch(config.sources.counties!.tiles[0]!.replace('{z}/{x}/{y}', '8/203/100'))
    expect(tile.status).toBe(200)
    expect(Buffer.from(await tile.arrayBuffer()).length).toBeGreaterThan(0)
    const refused = await fetch(`${url}/tiles/registry/14/0/0.mvt`)
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { code: string }).code).toBe('UNAUTHENTICATED')
  })
})

describe('the bundle is made again only when its inputs change', () => {
  const make = (root: string, relative: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true })
    fs.writeFileSync(path.join(root, relative), text)
  }
  it('is stale after a change to a source, the locked packages or the bundling script, and when its stamp or file is gone', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-server-build-test-'))
    try {
      make(root, 'server/main.ts', 'console.log(1)')
      make(root, 'server/modules/a/service.ts', 'export const a = 1')
      make(root, 'package-lock.json', '{}')
      make(root, 'scripts/server-build.ts', '// v1')
      make(root, '.build/server/main.mjs', '')
      const stamp = () => make(root, '.build/server/.build-inputs', `${serverInputsHash(root)}\n`)
      const current = () => serverBundleIsCurrent(serverInputsHash(root), root)
      stamp()
      expect(current()).toBe(true)
      // Not an input: the web desk.
      make(root, 'web/src/main.ts', 'x')
      expect(current()).toBe(true)
      for (const [file, text] of [
        ['server/modules/a/service.ts', 'export const a = 2'],
        ['server/modules/b/routes.ts', ''],
        ['package-lock.json', '{"a":1}'],
        ['scripts/server-build.ts', '// v2'],
      ] as const) {
        make(root, file, text)
        expect(current(), file).toBe(false)
        stamp()
        expect(current()).toBe(true)
      }
      fs.rmSync(path.join(root, '.build/server/main.mjs'))
      expect(current()).toBe(false)
      make(root, '.build/server/main.mjs', '')
      fs.rmSync(path.join(root, '.build/server/.build-inputs'))
      expect(current()).toBe(false)
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
