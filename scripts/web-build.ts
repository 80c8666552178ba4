/**
 * Builds the web desk only when its inputs changed since the last build: a start after the first one goes straight to the
 * server. The inputs are hashed by content (not by time, which a fresh clone or a copy changes), and the hash is kept beside
 * the built files.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '..')
const DIST = path.join(ROOT, 'web/dist')
const STAMP = path.join(DIST, '.build-inputs')
/** What the bundle is made from: the web sources, the server code it imports (schemas, pure geometry) and the locked packages. */
const INPUTS = ['web/index.html', 'web/vite.config.ts', 'web/src', 'server/schemas', 'server/geo', 'package-lock.json']

function listFiles(relative: string): string[] {
  const absolute = path.join(ROOT, relative)
  if (!fs.existsSync(absolute)) return []
  if (!fs.statSync(absolute).isDirectory()) return [relative]
  return fs
    .readdirSync(absolute)
    .sort()
    .flatMap((name) => listFiles(path.join(relative, name)))
}

/** The hash of every input file's path and content. */
export function webInputsHash(): string {
  const hash = createHash('sha256')
  for (const file of INPUTS.flatMap(listFiles)) {
    hash
      .update(file.split(path.sep).join('/'))
      .update('\0')
      .update(fs.readFileSync(path.join(ROOT, file)))
      .update('\0')
  }
  return hash.digest('hex')
}

/** Whether web/dist was built from the inputs as they are now. */
export function webBuildIsCurrent(hash = webInputsHash()): boolean {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim() === hash && fs.existsSync(path.join(DIST, 'index.html'))
  } catch {
    return false
  }
}

/** Builds the web desk unless the built files are current; says which it did. */
export async function ensureWebBuilt(say: (message: string) => void = console.log): Promise<'built' | 'current'> {
  const hash = webInputsHash()
  if (webBuildIsCurrent(hash)) {
    say('the web desk is built and current')
    return 'current'
  }
  say('building the web desk')
  // Vite is loaded only when a build is needed.
  const { build } = await import('vite')
  await build({ configFile: path.join(ROOT, 'web/vite.config.ts'), logLevel: 'warn' })
  fs.writeFileSync(STAMP, `${hash}\n`)
  return 'built'
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureWebBuilt()
}
