import { loadConfig } from './config.ts'
import { connectDatabase } from './db/connect.ts'
import { migrateToLatest } from './db/migrate.ts'

const started = Date.now()
const config = loadConfig()
const say = (message: string) => console.log(`[start ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`)

say(
  config.databaseUrl
    ? 'connecting to the PostGIS server (DATABASE_URL)'
    : `opening the embedded database in ${config.dataDir} (the first start initialises PostGIS, about 15 s)`,
)
// The embedded database takes seconds to start; the service's modules load meanwhile.
const opening = connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
const [{ buildApp }, { loadDemoData }, { loadReferenceData }, { pruneSessions }, { pinyinColumns }] = await Promise.all([
  import('./app.ts'),
  import('./modules/demo/load.ts'),
  import('./modules/reference/load.ts'),
  import('./modules/users/service.ts'),
  import('./modules/search/pinyin.ts'),
])
const database = await opening
await migrateToLatest(database.db)
say('database ready and migrated')
const app = await buildApp(config, { database })
app.addHook('onClose', () => database.close())
// The search module owns the pinyin of place names; the reference loader is handed its function.
await loadReferenceData(app.db, say, { searchColumns: pinyinColumns })
if (config.loadDemoData) await loadDemoData(app.db, config.demoPassword, say)
await pruneSessions(app.db)
await app.listen({ port: config.port, host: config.host })
say(
  `listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${app.server.address() && typeof app.server.address() === 'object' ? (app.server.address() as { port: number }).port : config.port} — API docs at /docs`,
)

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
