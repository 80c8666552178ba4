import { sealPending, verifyChain } from '../server/modules/audit-log/service.ts'
import { openConfiguredDatabase, run } from './cli.ts'

// npm run audit-log -- <verify|seal>
//   verify: walks the whole hash chain and recomputes every seal; exits 1 if anything was changed or removed.
//   seal:   seals the entries still waiting (the service does this every few seconds while it runs).
// The head printed by both is worth writing down outside the database: with it, removing the newest entries
// together with their seals is found too.
const USAGE = 'usage: npm run audit-log -- <verify|seal>'

run(async () => {
  const command = process.argv[2]
  if (command !== 'verify' && command !== 'seal') throw new Error(USAGE)
  const handle = await openConfiguredDatabase()
  try {
    if (command === 'seal') {
      const sealed = await sealPending(handle.db)
      const report = await verifyChain(handle.db)
      console.log(`sealed ${sealed} entries; head: seq ${report.head.seq}, ${report.head.hash ?? '(empty chain)'}`)
      return
    }
    const report = await verifyChain(handle.db)
    console.log(`${report.sealed} sealed entries, ${report.pending} waiting to be sealed`)
    console.log(`head: seq ${report.head.seq}, ${report.head.hash ?? '(empty chain)'}`)
    if (report.intact) {
      console.log('the chain is intact: no sealed entry was changed or removed')
      return
    }
    for (const problem of report.problems.slice(0, 100)) console.log(`  ${problem.kind}: ${problem.message}`)
    if (report.problems.length > 100) console.log(`  … and ${report.problems.length - 100} more`)
    throw new Error(`the chain is broken: ${report.problems.length} problem(s)`)
  } finally {
    await handle.close()
  }
})
