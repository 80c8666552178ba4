/**
 * Builds the web desk only when its inputs changed since the last build: a start after the first one goes straight to the
 * server. The inputs are hashed by content (not by time, which a fresh clone or a copy changes), and the hash is kept beside
 * the built files.
 */
import fs from 'node:fs'
import path from 'node:path'
import { inputsHash } from './inputs-hash.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
/** Where the stamp lies, beside the built files. */
const STAMP_NAME = '.build-inputs'
/** What the bundle is made from: the web sources, the server code it imports (schemas, pure geometry) and the locked packages. */
const INPUTS = ['web/index.html', 'web/vite.config.ts', 'web/src', 'server/schemas', 'server/geo', 'package-lock.json']

/** The hash of every input file's path and content, under `root` (the project's folder). */
export function webInputsHash(root = ROOT): string {
  return inputsHash(root, INPUTS)
}

/**
 * Whether web/dist under `root` was built from the inputs as they are now: its stamp names their hash, and the page
 * and every script and style it loads are there (a half-emptied folder is not current, whatever its stamp says).
 */
export function webBuildIsCurrent(hash = webInputsHash(), root = ROOT): boolean {
  const dist = path.join(root, 'web/dist')
  try {
    if (fs.readFileSync(path.join(dist, STAMP_NAME), 'utf8').trim() !== hash) return false
    const page = fs.readFileSync(path.join(dist, 'index.html'), 'utf8')
    const assets = [...page.matchAll(/(?:src|href)="\/(assets\/[^"?#]+)"/g)].map((match) => match[1]!)
    return assets.every((asset) => fs.existsSync(path.join(dist, asset)))
  } catch {
    return false
  }
}

/** Records that web/dist under `root` was built from the inputs with this hash. */
export function stampWebBuild(hash: string, root = ROOT): void {
  fs.writeFileSync(path.join(root, 'web/dist', STAMP_NAME), `${hash}\n`)
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
  stampWebBuild(hash)
  return 'built'
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureWebBuilt()
}
