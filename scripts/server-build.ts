/**
 * The service as one ES module for `npm start`: loading ~200 TypeScript files one by one through tsx (resolve, read
 * the transform cache, compile each) takes more than a second of CPU at every start; one bundled file takes a fraction.
 * Like the web build, the bundle is made again only when its inputs changed (hashed by content, the hash kept beside it);
 * packages stay outside it (imported from node_modules as before). `import.meta.dirname` and `import.meta.url` are
 * those of each source file, so paths to data/, migrations/, web/dist and the planner's worker are the same as from the
 * sources. Tests and the other scripts keep importing the sources.
 */
import fs from 'node:fs'
import path from 'node:path'
import { inputsHash } from './inputs-hash.ts'
import { pathToFileURL } from 'node:url'

const ROOT = path.resolve(import.meta.dirname, '..')
const ENTRY = 'server/main.ts'
const OUT_DIR = '.build/server'
const STAMP_NAME = '.build-inputs'
/** What the bundle is made from: the service's sources, the locked packages, and this script (how it is bundled). */
const INPUTS = ['server', 'package-lock.json', 'scripts/server-build.ts']

/** The hash of every input file's path and content, and of the folder itself (the bundle holds absolute source paths). */
export function serverInputsHash(root = ROOT): string {
  return inputsHash(root, INPUTS, path.resolve(root))
}

/** The bundle's file under `root`. */
export const serverBundlePath = (root = ROOT) => path.join(root, OUT_DIR, 'main.mjs')

/** Whether the bundle under `root` was made from the inputs as they are now. */
export function serverBundleIsCurrent(hash = serverInputsHash(), root = ROOT): boolean {
  try {
    return fs.readFileSync(path.join(root, OUT_DIR, STAMP_NAME), 'utf8').trim() === hash && fs.existsSync(serverBundlePath(root))
  } catch {
    return false
  }
}

/** Bundles the service unless the bundle is current; returns the file to import. */
export async function ensureServerBundle(say: (message: string) => void = console.log): Promise<string> {
  const hash = serverInputsHash()
  const out = serverBundlePath()
  if (serverBundleIsCurrent(hash)) return out
  say('bundling the service')
  // esbuild (which tsx runs on) is loaded only when a bundle is needed.
  const { build } = await import('esbuild')
  const outDir = path.join(ROOT, OUT_DIR)
  fs.rmSync(outDir, { recursive: true, force: true })
  await build({
    entryPoints: [path.join(ROOT, ENTRY)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'source-file-meta',
        setup(builder) {
          builder.onLoad({ filter: /\.ts$/ }, async ({ path: file }) => {
            const source = await fs.promises.readFile(file, 'utf8')
            return {
              loader: 'ts',
              contents: source
                .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(file)))
                .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file).href)),
            }
          })
        },
      },
    ],
  })
  fs.writeFileSync(path.join(outDir, STAMP_NAME), `${hash}\n`)
  return out
}
