import { migrateDown } from '../server/db/migrate.ts'
import { loadReferenceData } from '../server/modules/reference/load.ts'
import { openConfiguredDatabase, run } from './cli.ts'

// npm run migrate            → newest schema and the reference layers
// npm run migrate -- down    → undo the newest migration
run(async () => {
  const handle = await openConfiguredDatabase()
  try {
    if (process.argv[2] === 'down') {
      for (const line of await migrateDown(handle.db)) console.log(line)
    } else {
      console.log('schema is at the newest migration')
      await loadReferenceData(handle.db, console.log)
    }
  } finally {
    await handle.close()
  }
})
