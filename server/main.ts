import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'
import { loadDemoData } from './modules/demo/load.ts'
import { loadReferenceData } from './modules/reference/load.ts'
import { pruneSessions } from './modules/users/service.ts'

const started = Date.now()
const config = loadConfig()
const say = (message: string) => console.log(`[start ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`)

say(config.databaseUrl ? 'connecting to the PostGIS server (DATABASE_URL)' : `opening the embedded database in ${config.dataDir} (the first start initialises PostGIS, about 15 s)`)
const app = await buildApp(config)
say('database ready and migrated')
await loadReferenceData(app.db, say)
if (config.loadDemoData) await loadDemoData(app.db, config.demoPassword, say)
await pruneSessions(app.db)
await app.listen({ port: config.port, host: config.host })
say(`listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${app.server.address() && typeof app.server.address() === 'object' ? (app.server.address() as { port: number }).port : config.port} — API docs at /docs`)

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return
    closing = true
    say(`${signal}: closing`)
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  })
}
