import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensureServerBundle } from '../scripts/server-build.ts'
import { ensureWebBuilt } from '../scripts/web-build.ts'
import { figure } from './support.ts'

const ROOT = path.resolve(import.meta.dirname, '..')

/** Starts the server as `npm start` does (the web build check, then the server) and returns seconds until /health answers 200. */
async function timeStart(dataDir: string, port: number, env: Record<string, string> = {}): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited: ${output}`)
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return (performance.now() - started) / 1000
      if (performance.now() - started > 180_000) throw new Error(`no answer after 180 s: ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

/** Embedded first start (PostGIS initialisation, migrations, demo data) and a later start. */
export async function benchStartup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-start-'))
  const port = 39000 + (process.pid % 1000)
  // Built once beforehand, so every start below finds the web desk and the service's bundle current, as every start
  // after the first does.
  await ensureWebBuilt(() => {})
  await ensureServerBundle(() => {})
  try {
    const first = await timeStart(path.join(dir, 'data'), port)
    figure('embedded first start, to /health 200', first, 's', 'goal ≤ 30 s (creates the database, PostGIS, demo data)')
    // The service from its bundle (as npm start runs it), against the same start from the sources through tsx
    // (SERVER_BUNDLE=0, as before the bundle), alternating so that both see the same load.
    const later: number[] = []
    const fromSources: number[] = []
    for (let round = 0; round < 2; round += 1) {
      later.push(await timeStart(path.join(dir, 'data'), port))
      fromSources.push(await timeStart(path.join(dir, 'data'), port, { SERVER_BUNDLE: '0' }))
    }
    figure(
      'embedded later start, to /health 200',
      Math.max(...later),
      's',
      `goal ≤ 5 s (worst of two: ${later.map((s) => s.toFixed(2)).join(', ')})`,
    )
    figure(
      '  the same from the sources (no bundle)',
      Math.max(...fromSources),
      's',
      `worst of two: ${fromSources.map((s) => s.toFixed(2)).join(', ')}`,
    )
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
