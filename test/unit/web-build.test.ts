import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { stampWebBuild, webBuildIsCurrent, webInputsHash } from '../../scripts/web-build.ts'

/** A project folder with the web build's inputs and a build of them, stamped. */
let root: string
const write = (relative: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true })
  fs.writeFileSync(path.join(root, relative), text)
}
const current = () => webBuildIsCurrent(webInputsHash(root), root)

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-web-build-test-'))
  write('web/index.html', '<!doctype html><script type="module" src="/src/main.ts"></script>')
  write('web/vite.config.ts', 'export default {}')
  write('web/src/main.ts', 'console.log(1)')
  write('web/src/map/style.ts', 'export const a = 1')
  write('server/schemas/map.ts', 'export const b = 2')
  write('server/geo/crs.ts', 'export const c = 3')
  write('package-lock.json', '{"lockfileVersion":3}')
  write(
    'web/dist/index.html',
    '<script type="module" src="/assets/index-abc.js"></script><link rel="stylesheet" href="/assets/index-def.css">',
  )
  write('web/dist/assets/index-abc.js', '')
  write('web/dist/assets/index-def.css', '')
  stampWebBuild(webInputsHash(root), root)
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

describe('the web build is skipped only while it is current', () => {
  it('is current right after a build, and stays so when nothing changed (a copy with new times included)', () => {
    expect(current()).toBe(true)
    const later = new Date(Date.now() + 60_000)
    fs.utimesSync(path.join(root, 'web/src/main.ts'), later, later)
    expect(current()).toBe(true)
    // Built files do not count as inputs.
    write('web/dist/assets/extra.js', 'x')
    expect(current()).toBe(true)
  })

  for (const [what, change] of [
    ['a changed web source', () => write('web/src/map/style.ts', 'export const a = 2')],
    ['a new web source', () => write('web/src/ui/new-screen.ts', '')],
    ['a removed web source', () => fs.rmSync(path.join(root, 'web/src/map/style.ts'))],
    ['a renamed web source', () => fs.renameSync(path.join(root, 'web/src/map/style.ts'), path.join(root, 'web/src/map/styles.ts'))],
    ['a changed Vite configuration', () => write('web/vite.config.ts', 'export default { base: "/desk/" }')],
    ['a changed page template', () => write('web/index.html', '<!doctype html><title>x</title>')],
    ['a changed shared schema', () => write('server/schemas/map.ts', 'export const b = 3')],
    ['changed geometry code', () => write('server/geo/crs.ts', 'export const c = 4')],
    ['changed locked packages', () => write('package-lock.json', '{"lockfileVersion":3,"packages":{}}')],
  ] as const)
    it(`rebuilds after ${what}`, () => {
      change()
      expect(current()).toBe(false)
    })

  it('rebuilds when the stamp is missing, or when the page or a file it loads is gone', () => {
    fs.rmSync(path.join(root, 'web/dist/.build-inputs'))
    expect(current()).toBe(false)
    stampWebBuild(webInputsHash(root), root)
    fs.rmSync(path.join(root, 'web/dist/assets/index-def.css'))
    expect(current()).toBe(false)
    write('web/dist/assets/index-def.css', '')
    fs.rmSync(path.join(root, 'web/dist/index.html'))
    expect(current()).toBe(false)
  })

  it('is current again once the changed inputs are built and stamped', () => {
    write('web/src/main.ts', 'console.log(2)')
    expect(current()).toBe(false)
    stampWebBuild(webInputsHash(root), root)
    expect(current()).toBe(true)
  })
})
