/** The content hash the web build and the service bundle keep beside their output, to be made again only when an input changed. */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

function listFiles(root: string, relative: string): string[] {
  const absolute = path.join(root, relative)
  if (!fs.existsSync(absolute)) return []
  if (!fs.statSync(absolute).isDirectory()) return [relative]
  return fs
    .readdirSync(absolute)
    .sort()
    .flatMap((name) => listFiles(root, path.join(relative, name)))
}

/** The hash of every file's path and content under the inputs (files or folders, relative to `root`), after `seed` when given. */
export function inputsHash(root: string, inputs: readonly string[], seed?: string): string {
  const hash = createHash('sha256')
  if (seed !== undefined) hash.update(seed).update('\0')
  for (const file of inputs.flatMap((input) => listFiles(root, input))) {
    hash
      .update(file.split(path.sep).join('/'))
      .update('\0')
      .update(fs.readFileSync(path.join(root, file)))
      .update('\0')
  }
  return hash.digest('hex')
}
