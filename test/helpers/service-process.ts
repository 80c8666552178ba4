import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** The service as a process of its own, as a test started it. */
export interface ServiceProcess {
  process: ChildProcess
  /** What it wrote to stdout and stderr so far. */
  output: string[]
  /** Its address once it says it listens; rejected when it exits first. */
  listening: Promise<string>
  /** Stops it with SIGTERM and waits for it to exit (nothing when it has exited already). */
  stop: () => Promise<void>
}

/**
 * Starts `node --import tsx <script>` from the project's folder on a free loopback port, with no demo data and
 * warnings only, plus `env`. Returned at once, so that an afterAll can stop it even when the start never finishes.
 */
export function startServiceProcess(script: string, env: Record<string, string>, name: string): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOAD_DEMO_DATA: 'false', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString())
      const match = /listening on (http:\/\/[^\s]+)/.exec(output.join(''))
      if (match) resolve(match[1]!)
    })
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}): ${output.join('')}`)))
  })
  // A start that fails after the test gave up waiting must not be an unhandled rejection.
  listening.catch(() => {})
  return {
    process: child,
    output,
    listening,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}
