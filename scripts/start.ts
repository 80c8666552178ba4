/**
 * `npm start`: builds the web desk if its sources changed, then starts the service in the same process, from one
 * bundled module (made again when the service's sources changed; SERVER_BUNDLE=0 runs the sources through tsx instead).
 */
import { pathToFileURL } from 'node:url'
import { ensureServerBundle } from './server-build.ts'
import { ensureWebBuilt } from './web-build.ts'

const say = (message: string) => console.log(`[start] ${message}`)
await ensureWebBuilt(say)
let entry: string | null = null
if (process.env.SERVER_BUNDLE !== '0') {
  try {
    entry = await ensureServerBundle(say)
  } catch (error) {
    say(`could not bundle the service (${error instanceof Error ? error.message : String(error)}); starting from the sources`)
  }
}
if (entry) {
  // Stack traces then name the source files and lines, not the bundle's.
  process.setSourceMapsEnabled(true)
  await import(pathToFileURL(entry).href)
} else {
  await import('../server/main.ts')
}
