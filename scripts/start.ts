/** `npm start`: builds the web desk if its sources changed, then starts the service in the same process. */
import { ensureWebBuilt } from './web-build.ts'

await ensureWebBuilt((message) => console.log(`[start] ${message}`))
await import('../server/main.ts')
